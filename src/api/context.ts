import type { Store } from '../store/index.js';

/** What every handler may use; built once per process by `createApp`. */
export interface ApiContext {
  readonly store: Store;
  readonly version: string;
  readonly backend: () => { name: string; threads: number; simd: boolean } | null;
}
