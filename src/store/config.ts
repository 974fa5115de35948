import { join, resolve } from 'node:path';

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
      throw new Error(`DATABASE_URL must be a postgres:// URL; leave it unset for the embedded SQLite store (got '${url.split(':')[0]}:')`);
    }
    return { client: 'postgres', connectionString: url, ...(env.DATABASE_SCHEMA ? { schema: env.DATABASE_SCHEMA } : {}) };
  }
  return { client: 'sqlite', filename: env.TA_SQLITE_FILE ?? join(dataDir(env), 'atlas.sqlite') };
}

export function describeStore(config: StoreConfig): string {
  if (config.client === 'sqlite') return `sqlite:${config.filename}`;
  const url = new URL(config.connectionString);
  return `postgres://${url.hostname}:${url.port || 5432}${url.pathname}${config.schema ? `#${config.schema}` : ''}`;
}
