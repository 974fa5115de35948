import { notFound } from '../../errors.js';
import { resultFilter } from '../../evidence/index.js';
import { getRun, listRuns } from '../../store/index.js';
import { presentRuns } from '../present.js';
import { booleanParam, pageOf, stringParam } from '../query.js';
import type { Route } from '../route.js';
import { sendRead } from '../conditional.js';

export const resultRoutes: Route[] = [
  {
    method: 'get',
    path: '/v1/results',
    async handle(ctx, req, res) {
      const source = stringParam(req, 'source');
      const target = stringParam(req, 'target');
      const architecture = stringParam(req, 'architecture');
      const filter = await resultFilter(
        ctx.store.knex,
        { ...(source ? { source } : {}), ...(target ? { target } : {}), ...(architecture ? { architecture } : {}), includeWithdrawn: booleanParam(req, 'include_withdrawn') ?? false },
        { source: 'source', target: 'target' },
      );
      const page = await listRuns(ctx.store.knex, filter, pageOf(req));
      sendRead(req, res, { ...page, items: await presentRuns(ctx.store.knex, page.items) });
    },
  },
  {
    method: 'get',
    path: '/v1/results/{id}',
    async handle(ctx, req, res) {
      const id = String(req.params.id);
      const run = await getRun(ctx.store.knex, id);
      if (!run) throw notFound('result', id);
      sendRead(req, res, (await presentRuns(ctx.store.knex, [run]))[0]);
    },
  },
];
