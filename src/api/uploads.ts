/**
 * Multipart uploads for express-openapi-validator's file uploader: the file part is streamed
 * straight to a temporary file under the data folder with the upload limit enforced as it
 * arrives (never buffered in memory), and the file is removed when the response is over.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type { Request } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { invalid } from '../errors.js';
import { IngestionError, ownedPrefix, receiveUpload, UPLOAD_PREFIX } from '../images/index.js';
import { ingestionConfigFromEnv, type IngestionConfig } from '../services/index.js';
import type { ApiContext } from './context.js';
import { serverFailure } from './edge.js';

type UploaderOptions = Exclude<NonNullable<Parameters<typeof OpenApiValidator.middleware>[0]['fileUploader']>, boolean>;
type StorageEngine = NonNullable<UploaderOptions['storage']>;

/** The part that carries the dataset; every other part must be a plain field. */
export const FILE_FIELD = 'file';

export interface StoredUpload {
  readonly fieldname: string;
  readonly originalname: string;
  readonly path: string;
  readonly size: number;
}

export function ingestionSettings(ctx: ApiContext): IngestionConfig {
  return ctx.ingestion ?? ingestionConfigFromEnv();
}

/** Keeps the original extension (ingestion recognises .npz, .tar.gz and the like by it) and nothing unsafe. */
function tempName(original: string): string {
  const safe = original
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^\.+/, '')
    .slice(-100);
  return `${ownedPrefix(UPLOAD_PREFIX)}${randomUUID()}-${safe || 'file'}`;
}

function refusal(e: unknown): unknown {
  if (e instanceof OpenApiValidator.error.BadRequest) return e;
  if (!(e instanceof IngestionError)) return serverFailure(e);
  // The validator passes its own error types through to the problem handler and turns any other into a 500.
  return e.appCode === 'payload-too-large'
    ? new OpenApiValidator.error.RequestEntityTooLarge({ path: `/body/${FILE_FIELD}`, message: e.message })
    : new OpenApiValidator.error.BadRequest({ path: `/body/${FILE_FIELD}`, message: e.message });
}

async function receive(
  ctx: ApiContext,
  req: Request,
  file: { fieldname: string; originalname: string; stream: Readable },
): Promise<StoredUpload> {
  if (file.fieldname !== FILE_FIELD) {
    throw new OpenApiValidator.error.BadRequest({
      path: `/body/${file.fieldname}`,
      message: `files are accepted only in the '${FILE_FIELD}' field`,
    });
  }
  const settings = ingestionSettings(ctx);
  const dir = join(settings.dataDir, 'tmp');
  await mkdir(dir, { recursive: true });
  const path = join(dir, tempName(file.originalname));
  // Through a pass-through, so that a refusal does not destroy busboy's stream with an error multer would report as a 500.
  const body = new PassThrough();
  // Whatever happens next (validation, ingestion, a dropped connection), the upload goes when the response does.
  // A response can end while the file is still arriving (a malformed form is answered at once): the copy is then
  // stopped, and a file its writer created after the removal is removed once the writer is done.
  let over = false;
  const discard = () => {
    over = true;
    body.destroy();
    void rm(path, { force: true });
  };
  // The response may even be over already (a truncated form is answered while this waited for its folder).
  if (req.res === undefined || req.res.closed) discard();
  else req.res.once('close', discard);
  file.stream.pipe(body);
  const size = await receiveUpload(body, path, settings.maxUploadBytes, file.originalname || FILE_FIELD)
    .catch((e: unknown) => {
      file.stream.unpipe(body);
      file.stream.resume();
      throw e;
    })
    .finally(async () => {
      if (over) await rm(path, { force: true });
    });
  return { fieldname: file.fieldname, originalname: file.originalname, path, size };
}

export function uploaderOptions(ctx: ApiContext): UploaderOptions {
  const storage: StorageEngine = {
    _handleFile(req, file, callback) {
      receive(ctx, req, file).then(
        (stored) => callback(null, stored),
        (e: unknown) => callback(refusal(e) as Error),
      );
    },
    _removeFile(_req, file, callback) {
      rm(file.path, { force: true }).then(() => callback(null), callback);
    },
  };
  return { storage, defParamCharset: 'utf8', limits: { files: 1, fields: 40, fieldSize: 8192, parts: 42 } };
}

/** The one stored upload of a request, or a 400 naming the field when the form carried none. */
export function uploadedFile(req: Request): StoredUpload {
  const files = (req as Request & { files?: StoredUpload[] }).files ?? [];
  const file = files.find((f) => f.fieldname === FILE_FIELD);
  if (!file)
    throw invalid(`the form has no '${FILE_FIELD}' part with the dataset`, [
      { field: FILE_FIELD, message: 'required' },
    ]);
  return file;
}
