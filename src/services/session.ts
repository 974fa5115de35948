/**
 * The store as the layers above services see it: opened, migrated and closed here, and passed to
 * every service as a `Db`, so that routes and commands never touch the query builder themselves.
 */
import type { Knex } from 'knex';
import { migrateToLatest, openStore, storeConfigFromEnv, type Store } from '../store/index.js';

/** What a service needs: a store, or a transaction over one (`{ knex: trx }`). */
export interface Db {
  readonly knex: Knex;
}

export {
  dataDir,
  describeStore,
  ingestionConfigFromEnv,
  openStore,
  storeConfigFromEnv,
  type IngestionConfig,
  type PageOf,
  type PageRequest,
  type Store,
  type StoreConfig,
} from '../store/index.js';

/** Runs `body` with the configured store open, and always closes it so the process can exit. */
export async function withStore<T>(body: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(storeConfigFromEnv());
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

/** Brings the schema up to date; the names of the migrations applied, none when it already was. */
export function migrate(db: Db): Promise<string[]> {
  return migrateToLatest(db.knex);
}
