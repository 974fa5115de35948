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

/** A result as the store hands it back: with an id, so transferability can say which baselines it used. */
export interface IdentifiedResult extends TransferResult {
  readonly id: string;
}

export interface FieldError {
  /** Where the problem is, e.g. `[2].folds[3].value` or `protocol.metric`. */
  readonly path: string;
  readonly message: string;
}

export const BASELINE_SOURCE_SPELLING = 'none';
