import type { ProbeIdentity } from '../probes/index.js';
import type { Classifier } from './classifier.js';

/** One unit of work sent to a pool worker. */
export type PoolTask =
  | { readonly kind: 'features'; readonly unit: number; readonly indices: Int32Array }
  | {
      readonly kind: 'montecarlo';
      readonly unit: number;
      readonly indices: Int32Array;
      readonly head: Classifier;
      readonly labelSeed: number;
    }
  | { readonly kind: 'exact'; readonly unit: number; readonly index: number; readonly head: Classifier };

export type PoolReply =
  | {
      readonly kind: 'ready';
      readonly identity: ProbeIdentity;
      readonly featureSize: number;
      readonly embeddingLength: number;
    }
  | { readonly kind: 'done'; readonly unit: number; readonly values: Float32Array; readonly preprocessMs: number }
  | { readonly kind: 'failed'; readonly message: string };
