import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { invalid } from '../errors.js';
import knexFactory, { type Knex } from 'knex';
import { describeStore, type StoreConfig } from './config.js';
import { migrateToLatest } from './migrations.js';
import { definedOnly } from '../defaults.js';

export interface Store {
  readonly knex: Knex;
  readonly config: StoreConfig;
  close(): Promise<void>;
}

/**
 * Creates a folder and its missing parents one level at a time. Node's recursive mkdir never
 * returns under /proc (each attempt fails in a way it retries), so a bad TA_DATA_DIR would hang.
 */
function makeFolder(path: string): void {
  const missing: string[] = [];
  for (let dir = resolve(path); !existsSync(dir); dir = dirname(dir)) missing.unshift(dir);
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (e) {
      throw invalid(
        `cannot create the data folder ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); set TA_DATA_DIR to a writable folder`,
        [{ field: 'TA_DATA_DIR', message: 'not creatable' }],
        'TA_DATA_DIR',
      );
    }
  }
}

function knexConfig(config: StoreConfig): Knex.Config {
  if (config.client === 'sqlite') {
    if (config.filename !== ':memory:') makeFolder(dirname(config.filename));
    return {
      client: 'better-sqlite3',
      connection: { filename: config.filename },
      useNullAsDefault: true,
      // One connection: SQLite serialises writers anyway, and :memory: databases are per connection.
      pool: {
        min: 1,
        max: 1,
        afterCreate: (conn: { pragma(s: string): void }, done: (err: Error | null, conn: unknown) => void) => {
          conn.pragma('foreign_keys = ON');
          conn.pragma('journal_mode = WAL');
          done(null, conn);
        },
      },
    };
  }
  return {
    client: 'pg',
    connection: config.connectionString,
    // A failed connection reaches the caller as an error; knex's own log line would say it twice.
    log: {
      warn: (message: string) => {
        if (!message.startsWith('Acquire connection error')) process.stderr.write(`knex: ${message}\n`);
      },
      error: () => undefined,
    },
    pool: { min: 0, max: 10 },
    // While the database is down a request fails within seconds (503) instead of queueing for a minute.
    acquireConnectionTimeout: 5000,
    ...definedOnly({ searchPath: config.schema ? [config.schema] : undefined }),
  };
}

/** Opens the store and brings its schema up to date (migrations run at start-up as well as on `migrate`). */
export async function openStore(config: StoreConfig, options: { migrate?: boolean } = {}): Promise<Store> {
  const knex = knexFactory(knexConfig(config));
  try {
    if (config.client === 'postgres' && config.schema) {
      await knex.raw('create schema if not exists ??', [config.schema]);
    }
    if (options.migrate !== false) await migrateToLatest(knex);
  } catch (err) {
    await knex.destroy();
    throw new Error(`cannot open the store ${describeStore(config)}: ${(err as Error).message}`, { cause: err });
  }
  return { knex, config, close: () => knex.destroy() };
}
