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
import { definedOnly } from '../../defaults.js';

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
        ...definedOnly({
          name: body.name,
          architecture: body.architecture,
          inputSize: body.input_size,
          pixelScaling: body.pixel_scaling,
        }),
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
        ...definedOnly({ probe: body.probe, inputSize: body.input_size, maxImages: body.max_images }),
        options: {
          ...definedOnly({
            method: body.method,
            samples: body.samples,
            batchSize: body.batch_size,
            fisherEpochs: body.fisher_epochs,
            seed: body.seed,
            classifier: body.epochs === undefined ? undefined : { epochs: body.epochs },
          }),
        },
      };
      await acceptJob(ctx, res, {
        kind: 'embed',
        params: { ...params },
        ...definedOnly({ requiresBackend: body.requires_backend }),
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
          ...definedOnly({ name: body.probe.name }),
          architecture: body.probe.architecture,
          inputSize: body.probe.input_size,
          pixelScaling: body.probe.pixel_scaling,
        },
        ...definedOnly({ method: body.method, options: body.options }),
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
