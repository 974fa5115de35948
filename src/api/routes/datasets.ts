import { invalid, notFound } from '../../errors.js';
import { datasetInputSchema, zodIssues } from '../../registry/index.js';
import { createDataset, getDataset, listDatasets } from '../../store/index.js';
import { pageOf, stringParam } from '../query.js';
import type { Route } from '../route.js';
import { sendRead } from '../conditional.js';

export const datasetRoutes: Route[] = [
  {
    method: 'get',
    path: '/v1/datasets',
    async handle(ctx, req, res) {
      const origin = stringParam(req, 'origin') as 'natural' | 'medical' | undefined;
      const modality = stringParam(req, 'modality');
      sendRead(req, res, await listDatasets(ctx.store.knex, { ...(origin ? { origin } : {}), ...(modality ? { modality } : {}) }, pageOf(req)));
    },
  },
  {
    method: 'get',
    path: '/v1/datasets/{id}',
    async handle(ctx, req, res) {
      const id = String(req.params.id);
      const dataset = await getDataset(ctx.store.knex, id);
      if (!dataset) throw notFound('dataset', id);
      sendRead(req, res, dataset);
    },
  },
  {
    method: 'post',
    path: '/v1/datasets',
    async handle(ctx, req, res) {
      // The spec has checked the shape; the domain schema also normalises (trim, lowercase modality).
      const parsed = datasetInputSchema.safeParse(req.body);
      if (!parsed.success) throw invalid('the dataset description is invalid', zodIssues(parsed.error));
      const dataset = await createDataset(ctx.store.knex, parsed.data, 'api');
      res.status(201).location(`/v1/datasets/${dataset.id}`).json(dataset);
    },
  },
];
