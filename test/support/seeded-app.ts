import { before, after } from 'node:test';
import { seedRegistry } from '../../src/services/index.js';
import type { Store } from '../../src/store/index.js';
import { startApp, type RunningApp } from './app.js';
import type { StoreKind } from './stores.js';

export interface SeededApp {
  readonly store: Store;
  readonly app: RunningApp;
}

/** A fresh store of this kind, seeded with the registry, and the app serving it, for the enclosing suite. */
export function seededApp(kind: StoreKind): SeededApp {
  const env = {} as { store: Store; app: RunningApp };
  before(async () => {
    env.store = await kind.open();
    await seedRegistry(env.store, 'datasets-registry');
    env.app = await startApp(env.store);
  });
  after(async () => {
    await env.app.close();
    await env.store.close();
  });
  return env;
}
