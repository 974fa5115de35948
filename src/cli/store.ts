import { openStore, storeConfigFromEnv, type Store } from '../store/index.js';

/** Runs `body` with the configured store open, and always closes it so the process can exit. */
export async function withStore<T>(body: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(storeConfigFromEnv());
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}
