import { notFound } from '../../errors.js';
import { getDataset, getRun, listRuns, type RunFilter } from '../../store/index.js';
import { presentRuns } from '../present.js';
import { booleanParam, pageOf, stringParam } from '../query.js';
import type { Route } from '../route.js';
import { sendRead } from '../conditional.js';
import type { ApiContext } from '../context.js';

async function requireDataset(ctx: ApiContext, id: string | undefined, field: string): Promise<void> {
  if (id === undefined || id === 'none') return;
  if (!(await getDataset(ctx.store.knex, id))) throw notFound('dataset', id, field);
}

export const resultRoutes: Route[] = [
  {
    method: 'get',
    path: '/v1/results',
    async handle(ctx, req, res) {
      const source = stringParam(req, 'source');
      const target = stringParam(req, 'target');
      const architecture = stringParam(req, 'architecture');
      await requireDataset(ctx, source, 'source');
      await requireDataset(ctx, target, 'target');
      const filter: RunFilter = {
        ...(source === 'none' ? { baseline: true } : source ? { source } : {}),
        ...(target ? { target } : {}),
        ...(architecture ? { architecture } : {}),
        includeWithdrawn: booleanParam(req, 'include_withdrawn') ?? false,
      };
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
