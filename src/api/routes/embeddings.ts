import { notFound } from '../../errors.js';
import { presentEmbedding, presentProbe } from '../../presenters/embeddings.js';
import {
  datasetEmbeddings,
  embeddingView,
  findProbe,
  importEmbedding,
  knownProbes,
  registerProbeFolder,
  resolveInsideRoots,
} from '../../services/index.js';
import type { EmbedJobParams } from '../../services/job-runners.js';
import { acceptJob } from './jobs.js';
import { sendRead } from '../conditional.js';
import { stringParam } from '../query.js';
import { ingestionSettings } from '../uploads.js';
import { callerOf, contributorOf } from '../access.js';
import type { Route } from '../route.js';
import type { components } from '../schema.js';

type Schemas = components['schemas'];

export const embeddingRoutes: Route[] = [
  {
    method: 'get',
    path: '/v1/probes',
    async handle(ctx, req, res) {
      sendRead(req, res, { items: (await knownProbes(ctx.store)).map(presentProbe) });
    },
  },
  {
    method: 'post',
    path: '/v1/probes',
    scope: 'admin',
    async handle(ctx, req, res) {
      const body = req.body as Schemas['ProbeRegistration'];
      const folder = await resolveInsideRoots(body.folder, ingestionSettings(ctx).dataRoots, 'folder');
      const record = await registerProbeFolder(ctx.store, folder, {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.architecture !== undefined ? { architecture: body.architecture } : {}),
        ...(body.input_size !== undefined ? { inputSize: body.input_size } : {}),
        ...(body.pixel_scaling !== undefined ? { pixelScaling: body.pixel_scaling } : {}),
      });
      res.status(201).json(presentProbe(record));
    },
  },
  {
    method: 'get',
    path: '/v1/datasets/{id}/embeddings',
    async handle(ctx, req, res) {
      const ref = stringParam(req, 'probe');
      const probe = ref === undefined ? undefined : (await findProbe(ctx.store, ref)).id;
      const items = await datasetEmbeddings(ctx.store, String(req.params.id), probe);
      sendRead(req, res, { items: items.map((e) => presentEmbedding(e)) });
    },
  },
  {
    method: 'post',
    path: '/v1/datasets/{id}/embeddings',
    scope: 'contribute',
    async handle(ctx, req, res) {
      const body = (req.body ?? {}) as Schemas['EmbeddingRequest'];
      const params: EmbedJobParams = {
        dataset: String(req.params.id),
        ...(body.probe !== undefined ? { probe: body.probe } : {}),
        ...(body.input_size !== undefined ? { inputSize: body.input_size } : {}),
        ...(body.max_images !== undefined ? { maxImages: body.max_images } : {}),
        options: {
          ...(body.method !== undefined ? { method: body.method } : {}),
          ...(body.samples !== undefined ? { samples: body.samples } : {}),
          ...(body.batch_size !== undefined ? { batchSize: body.batch_size } : {}),
          ...(body.fisher_epochs !== undefined ? { fisherEpochs: body.fisher_epochs } : {}),
          ...(body.seed !== undefined ? { seed: body.seed } : {}),
          ...(body.epochs !== undefined ? { classifier: { epochs: body.epochs } } : {}),
        },
      };
      await acceptJob(ctx, res, {
        kind: 'embed',
        params: { ...params },
        ...(body.requires_backend !== undefined ? { requiresBackend: body.requires_backend } : {}),
      });
    },
  },
  {
    method: 'post',
    path: '/v1/embeddings',
    scope: 'contribute',
    async handle(ctx, req, res) {
      const body = req.body as Schemas['EmbeddingImport'];
      const view = await importEmbedding(ctx.store, {
        dataset: body.dataset,
        probe: {
          id: body.probe.id,
          ...(body.probe.name !== undefined ? { name: body.probe.name } : {}),
          architecture: body.probe.architecture,
          inputSize: body.probe.input_size,
          pixelScaling: body.probe.pixel_scaling,
        },
        ...(body.method !== undefined ? { method: body.method } : {}),
        ...(body.options !== undefined ? { options: body.options } : {}),
        ...contributorOf(callerOf(res), body.contributor),
        npy: Buffer.from(body.hessian, 'base64'),
      });
      res.status(201).location(`/v1/embeddings/${view.id}`).json(presentEmbedding(view));
    },
  },
  {
    method: 'get',
    path: '/v1/embeddings/{id}',
    async handle(ctx, req, res) {
      const id = Number(req.params.id);
      const view = await embeddingView(ctx.store, id);
      if (!view) throw notFound('embedding', String(id));
      sendRead(req, res, presentEmbedding(view, stringParam(req, 'include') === 'vector'));
    },
  },
];
