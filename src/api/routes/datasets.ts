import { datasetById, listDatasets, registerDataset } from '../../services/index.js';
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
      sendRead(
        req,
        res,
        await listDatasets(
          ctx.store,
          { ...(origin ? { origin } : {}), ...(modality ? { modality } : {}) },
          pageOf(req),
        ),
      );
    },
  },
  {
    method: 'get',
    path: '/v1/datasets/{id}',
    async handle(ctx, req, res) {
      sendRead(req, res, await datasetById(ctx.store, String(req.params.id)));
    },
  },
  {
    method: 'post',
    path: '/v1/datasets',
    scope: 'contribute',
    async handle(ctx, req, res) {
      const dataset = await registerDataset(ctx.store, req.body);
      res.status(201).location(`/v1/datasets/${dataset.id}`).json(dataset);
    },
  },
];
