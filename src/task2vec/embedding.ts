import type { ProbeIdentity } from '../probes/index.js';
import type { FisherMethod } from './fisher.js';
import type { Task2VecOptions } from './options.js';

/** What a distance needs: the vectors and the probe that gave them meaning. */
export interface ComparableEmbedding {
  /** Filter-wise diagonal Fisher information, in the probe's weight order. */
  readonly hessian: Float32Array;
  /** All ones for the Monte Carlo and exact methods; the variational method would fill it. */
  readonly scale: Float32Array;
  readonly probe: ProbeIdentity;
  /** Named in error messages when present. */
  readonly dataset?: string;
}

/**
 * Wall-clock time of each stage. Preprocessing runs inside the feature and Fisher stages, on
 * whichever threads did the passes; `preprocessMs` is its time summed over those threads.
 */
export interface StageTimes {
  readonly preprocessMs: number;
  readonly featuresMs: number;
  readonly classifierMs: number;
  readonly fisherMs: number;
}

export interface Task2VecEmbedding extends ComparableEmbedding {
  readonly method: FisherMethod;
  /** Every option used, the seed included: enough to recompute this embedding. */
  readonly options: Task2VecOptions;
  readonly dataset: string;
  readonly imageCount: number;
  readonly classCount: number;
  /** The tf backend it ran on; tf kernels are deterministic per backend, not across backends. */
  readonly backend: string;
  readonly durationMs: number;
  readonly stages: StageTimes;
}
