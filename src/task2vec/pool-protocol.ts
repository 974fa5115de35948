import type { ProbeIdentity } from '../probes/index.js';
import type { Classifier } from './classifier.js';

/**
 * One unit of work sent to a pool worker, with the pixels of the images it needs (image after
 * image, in the unit's order): workers hold no dataset, only the batch in hand.
 */
export type PoolTask =
  | { readonly kind: 'features'; readonly unit: number; readonly count: number; readonly pixels: Uint8Array }
  | {
      readonly kind: 'montecarlo';
      readonly unit: number;
      readonly count: number;
      readonly pixels: Uint8Array;
      readonly head: Classifier;
      readonly labelSeed: number;
    }
  | {
      readonly kind: 'exact';
      readonly unit: number;
      readonly count: 1;
      readonly pixels: Uint8Array;
      readonly head: Classifier;
    };

/** What every image of the dataset shares, sent once when a worker starts. */
export interface PoolImageShape {
  readonly id: string;
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
}

export type PoolReply =
  | {
      readonly kind: 'ready';
      readonly identity: ProbeIdentity;
      readonly featureSize: number;
      readonly embeddingLength: number;
    }
  | { readonly kind: 'done'; readonly unit: number; readonly values: Float32Array; readonly preprocessMs: number }
  | { readonly kind: 'failed'; readonly message: string };
