import type { IngestionConfig, Store } from '../services/index.js';
import type { Dispatcher } from '../services/jobs.js';
import type { Logger } from '../services/telemetry.js';
import type { ServingCache } from '../services/serving.js';

/** What every handler may use; built once per process by `createApp`. */
export interface ApiContext {
  readonly store: Store;
  readonly version: string;
  readonly backend: () => { name: string; threads: number; simd: boolean } | null;
  /** Data folder, data roots and upload limit; read from the environment when not given. */
  readonly ingestion?: IngestionConfig;
  /** Where submitted jobs go: the embedded worker, or pg-boss for `transfer-atlas worker`s. */
  readonly jobs: Dispatcher;
  /** Recommendations and the dataset list held in memory under the evidence stamp; built by createApp when not given. */
  readonly serving?: ServingCache;
  /** One line per request; silent when not given. */
  readonly logger?: Logger;
}
