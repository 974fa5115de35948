import { datasetById, registerDataset, thumbnailImage, thumbnailSample } from '../../services/index.js';
import { presentThumbnails } from '../../presenters/profile.js';
import { pageOf, stringParam } from '../query.js';
import type { Route } from '../route.js';
import { encodedOnce, sendBytes, sendRead } from '../conditional.js';
import { definedOnly } from '../../defaults.js';
import { ingestionSettings } from '../uploads.js';

export const datasetRoutes: Route[] = [
  {
    method: 'get',
    path: '/v1/datasets',
    async handle(ctx, req, res) {
      const origin = stringParam(req, 'origin') as 'natural' | 'medical' | undefined;
      const modality = stringParam(req, 'modality');
      const page = await ctx.serving!.datasets(
        definedOnly({ origin: origin || undefined, modality: modality || undefined }),
        pageOf(req),
      );
      sendRead(req, res, page, encodedOnce(page));
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
  {
    method: 'get',
    path: '/v1/datasets/{id}/thumbnails',
    async handle(ctx, req, res) {
      const id = String(req.params.id);
      const perClass = Number((req.query as Record<string, unknown>).per_class ?? 4);
      const sample = await thumbnailSample(ctx.store, id, perClass, ingestionSettings(ctx).dataDir);
      sendRead(req, res, presentThumbnails(sample));
    },
  },
  {
    method: 'get',
    path: '/v1/datasets/{id}/images/{index}',
    async handle(ctx, req, res) {
      const size = (req.query as Record<string, unknown>).size;
      const png = await thumbnailImage(
        ctx.store,
        String(req.params.id),
        Number(req.params.index),
        size === undefined ? undefined : Number(size),
        ingestionSettings(ctx).dataDir,
      );
      sendBytes(req, res, 'image/png', png);
    },
  },
];
