import type { IngestionConfig, Store } from '../services/index.js';

/** What every handler may use; built once per process by `createApp`. */
export interface ApiContext {
  readonly store: Store;
  readonly version: string;
  readonly backend: () => { name: string; threads: number; simd: boolean } | null;
  /** Data folder, data roots and upload limit; read from the environment when not given. */
  readonly ingestion?: IngestionConfig;
}
