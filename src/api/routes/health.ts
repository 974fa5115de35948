import type { Route } from '../route.js';
import type { components } from '../schema.js';

export const healthRoutes: Route[] = [
  {
    method: 'get',
    path: '/v1/health',
    async handle(ctx, _req, res) {
      const body: components['schemas']['Health'] = {
        status: 'ok',
        version: ctx.version,
        store: ctx.store.config.client,
        backend: ctx.backend(),
      };
      res.json(body);
    },
  },
];
