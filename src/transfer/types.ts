/**
 * Plain records for transfer results. A baseline (a network trained on the target alone)
 * has `source: null`; contributions may spell it "none" or repeat the target, and are normalised to null.
 */

/** Every metric is a proportion in [0, 1]; `auc-ovr-weighted` is the one-vs-rest AUC weighted by class prior. */
export const METRICS = ['auc-ovr-weighted', 'auc', 'accuracy', 'balanced_accuracy'] as const;
export type Metric = (typeof METRICS)[number];

export interface Protocol {
  readonly folds: number;
  readonly metric: Metric;
  readonly imageSize?: number;
  readonly epochs?: number;
  /** Free commentary: not part of a protocol's identity. */
  readonly notes?: string;
}

export interface Provenance {
  readonly contributor: string;
  readonly doi?: string;
  readonly url?: string;
}

export interface TransferResult {
  /** null for a baseline. */
  readonly source: string | null;
  readonly target: string;
  readonly architecture: string;
  readonly protocol: Protocol;
  /** Metric per fold; index i holds fold i + 1. */
  readonly foldValues: readonly number[];
  readonly provenance: Provenance;
}

/**
 * A result once stored: its id (so transferability can say which baselines it used), the backbone
 * it fine-tuned, the study it comes from, and when it arrived and was withdrawn.
 */
export interface StoredResult extends TransferResult {
  readonly id: string;
  /** The pretrained network (source and architecture); null for a baseline. */
  readonly backbone: string | null;
  readonly study?: string;
  readonly createdAt: string;
  readonly withdrawnAt?: string;
}

export const BASELINE_SOURCE_SPELLING = 'none';
