import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../../errors.js';
import { presentProfile } from '../../presenters/profile.js';
import { ingestedProfile, resolveInsideRoots, type IngestMetadata, type IngestOptions } from '../../services/index.js';
import type { IngestJobParams } from '../../services/job-runners.js';
import { limitsForUpload } from '../../images/index.js';
import { sendRead } from '../conditional.js';
import { acceptJob } from './jobs.js';
import type { Route } from '../route.js';
import type { components } from '../schema.js';
import { ingestionSettings, uploadedFile, FILE_FIELD } from '../uploads.js';
import { definedOnly } from '../../defaults.js';

type Fields = Omit<components['schemas']['DatasetIngestion'], 'path'>;

const METADATA_KEYS = ['id', 'name', 'description', 'origin', 'modality', 'licence', 'citation', 'homepage'] as const;

/** The spec has checked and coerced the fields (form fields arrive as text); this only renames them. */
function metadataOf(body: Fields): IngestMetadata {
  const picked = Object.fromEntries(METADATA_KEYS.filter((k) => body[k] !== undefined).map((k) => [k, body[k]]));
  return { ...picked, name: body.name };
}

function optionsOf(body: Fields): IngestOptions {
  return {
    ...definedOnly({
      format: body.format,
      skipBad: body.skip_bad,
      ignoreUnlabelled: body.ignore_unlabelled,
      size: body.size,
    }),
    ...(body.channels !== undefined
      ? { channels: body.channels === 'auto' ? 'auto' : (Number(body.channels) as 1 | 3) }
      : {}),
    ...definedOnly({ minClassSize: body.min_class_size, splitSeed: body.split_seed }),
  };
}

export const ingestionRoutes: Route[] = [
  {
    method: 'post',
    path: '/v1/datasets/uploads',
    scope: 'contribute',
    async handle(ctx, req, res) {
      const upload = uploadedFile(req);
      const body = req.body as Fields;
      const settings = ingestionSettings(ctx);
      // The upload leaves the request's temporary folder for the job's own, and goes when the job ends.
      const kept = join(settings.dataDir, 'uploads', basename(upload.path));
      await mkdir(dirname(kept), { recursive: true });
      await rename(upload.path, kept);
      const params: IngestJobParams = {
        path: kept,
        displayName: upload.originalname || FILE_FIELD,
        field: FILE_FIELD,
        metadata: metadataOf(body),
        options: optionsOf(body),
        limits: limitsForUpload(settings.maxUploadBytes),
        removeWhenDone: true,
      };
      await acceptJob(ctx, res, { kind: 'ingest', params: { ...params } }).catch(async (e: unknown) => {
        await rm(kept, { force: true });
        throw e;
      });
    },
  },
  {
    method: 'post',
    path: '/v1/datasets/ingestions',
    scope: 'contribute',
    async handle(ctx, req, res) {
      const body = req.body as components['schemas']['DatasetIngestion'];
      const settings = ingestionSettings(ctx);
      const path = await resolveInsideRoots(body.path, settings.dataRoots, 'path');
      const params: IngestJobParams = {
        path,
        displayName: body.path,
        field: 'path',
        metadata: metadataOf(body),
        options: optionsOf(body),
        limits: limitsForUpload(settings.maxUploadBytes),
      };
      await acceptJob(ctx, res, { kind: 'ingest', params: { ...params } });
    },
  },
  {
    method: 'get',
    path: '/v1/datasets/{id}/profile',
    async handle(ctx, req, res) {
      const id = String(req.params.id);
      const profile = await ingestedProfile(ctx.store, id);
      if (profile === null) {
        throw new AppError(
          'not-found',
          'No profile',
          `dataset '${id}' was registered without images, so it has no profile`,
          [{ field: 'id', message: 'no ingested images' }],
        );
      }
      sendRead(req, res, presentProfile(profile));
    },
  },
];
