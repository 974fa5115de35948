import { join, resolve } from 'node:path';
import { invalid } from '../errors.js';
import { definedOnly } from '../defaults.js';

/** Where the data lives: SQLite is the embedded default, PostgreSQL when DATABASE_URL is set. */
export type StoreConfig =
  | { readonly client: 'sqlite'; readonly filename: string }
  | { readonly client: 'postgres'; readonly connectionString: string; readonly schema?: string };

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TA_DATA_DIR ?? join(process.cwd(), 'data'));
}

export function storeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): StoreConfig {
  const url = env.DATABASE_URL;
  if (url !== undefined && url !== '') {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw invalid(
        `DATABASE_URL must be a postgres:// URL; leave it unset for the embedded SQLite store (got '${url.split(':')[0]}:')`,
        [{ field: 'DATABASE_URL', message: 'postgres:// URL' }],
        'DATABASE_URL',
      );
    }
    return {
      client: 'postgres',
      connectionString: url,
      ...definedOnly({ schema: env.DATABASE_SCHEMA || undefined }),
    };
  }
  return { client: 'sqlite', filename: env.TA_SQLITE_FILE ?? join(dataDir(env), 'atlas.sqlite') };
}

export function describeStore(config: StoreConfig): string {
  if (config.client === 'sqlite') return `sqlite:${config.filename}`;
  const url = new URL(config.connectionString);
  return `postgres://${url.hostname}:${url.port || 5432}${url.pathname}${config.schema ? `#${config.schema}` : ''}`;
}

/** Where ingestion may read and write, and how much an upload may carry. */
export interface IngestionConfig {
  /** TA_DATA_DIR: stored images go under `datasets/`, uploads and archive extraction under `tmp/`. */
  readonly dataDir: string;
  /** TA_DATA_ROOTS: the only server-side folders the API may ingest from; none means no server-side paths. */
  readonly dataRoots: readonly string[];
  /** TA_MAX_UPLOAD_BYTES: the largest upload accepted. */
  readonly maxUploadBytes: number;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 ** 3;

export function ingestionConfigFromEnv(env: NodeJS.ProcessEnv = process.env): IngestionConfig {
  const roots = (env.TA_DATA_ROOTS ?? '')
    .split(':')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  const limit = env.TA_MAX_UPLOAD_BYTES;
  const maxUploadBytes = limit === undefined || limit.trim() === '' ? DEFAULT_MAX_UPLOAD_BYTES : Number(limit);
  if (!Number.isSafeInteger(maxUploadBytes) || maxUploadBytes < 1) {
    throw invalid(
      `TA_MAX_UPLOAD_BYTES must be a positive whole number of bytes (got '${limit}')`,
      [{ field: 'TA_MAX_UPLOAD_BYTES', message: 'positive whole number' }],
      'TA_MAX_UPLOAD_BYTES',
    );
  }
  return { dataDir: dataDir(env), dataRoots: roots.map((r) => resolve(r)), maxUploadBytes };
}
