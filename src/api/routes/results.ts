import { presentResult } from '../../presenters/evidence.js';
import { listResults, resultById } from '../../services/index.js';
import { booleanParam, pageOf, stringParam } from '../query.js';
import type { Route } from '../route.js';
import { sendRead } from '../conditional.js';
import { definedOnly } from '../../defaults.js';

export const resultRoutes: Route[] = [
  {
    method: 'get',
    path: '/v1/results',
    async handle(ctx, req, res) {
      const source = stringParam(req, 'source');
      const target = stringParam(req, 'target');
      const architecture = stringParam(req, 'architecture');
      const page = await listResults(
        ctx.store,
        {
          ...definedOnly({
            source: source || undefined,
            target: target || undefined,
            architecture: architecture || undefined,
          }),
          includeWithdrawn: booleanParam(req, 'include_withdrawn') ?? false,
        },
        { source: 'source', target: 'target' },
        pageOf(req),
      );
      sendRead(req, res, { ...page, items: page.items.map(presentResult) });
    },
  },
  {
    method: 'get',
    path: '/v1/results/{id}',
    async handle(ctx, req, res) {
      sendRead(req, res, presentResult(await resultById(ctx.store, String(req.params.id))));
    },
  },
];
