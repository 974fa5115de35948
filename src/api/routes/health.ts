import { RETRY_AFTER_SECONDS, storeReachable } from '../../services/index.js';
import type { Route } from '../route.js';
import type { components } from '../schema.js';

export const healthRoutes: Route[] = [
  {
    method: 'get',
    path: '/v1/health',
    async handle(ctx, _req, res) {
      const up = await storeReachable(ctx.store.knex);
      const body: components['schemas']['Health'] = {
        status: up ? 'ok' : 'unavailable',
        version: ctx.version,
        store: ctx.store.config.client,
        store_reachable: up,
        backend: ctx.backend(),
      };
      if (!up) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
      res.status(up ? 200 : 503).json(body);
    },
  },
];
