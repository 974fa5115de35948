/**
 * Feature-based transferability estimators: how well a backbone's features suit a labelled
 * target, from one forward pass and no fine-tuning. Pure functions of features and labels.
 */
import { checkLabelledFeatures, type LabelledFeatures, type SourceProbabilities } from './features.js';
import { hscore } from './hscore.js';
import { KNN_K, knnAccuracy } from './knn.js';
import { leep } from './leep.js';
import { logme } from './logme.js';
import { nce } from './nce.js';

export { checkLabelledFeatures, type LabelledFeatures, type SourceProbabilities } from './features.js';
export { hscore, ledoitWolfShrinkage } from './hscore.js';
export { KNN_K, knnAccuracy } from './knn.js';
export { leep } from './leep.js';
export { logme, type LogmeVariant } from './logme.js';
export { nce } from './nce.js';

/** Signal names as the pair-signal catalogue knows them; higher is better for every one. */
export const ESTIMATOR_SIGNALS = ['logme', 'hscore', 'knn', 'leep', 'nce'] as const;
export type EstimatorSignal = (typeof ESTIMATOR_SIGNALS)[number];

export interface EstimatorScores {
  readonly scores: Partial<Record<EstimatorSignal, number>>;
  /** Estimators left out, each with the reason. */
  readonly skipped: Partial<Record<EstimatorSignal, string>>;
  /** How each was computed, for provenance. */
  readonly settings: { readonly logme: 'fixed-point'; readonly knnK: number; readonly hscore: 'ledoit-wolf shrinkage' };
}

/**
 * Every estimator the inputs allow: LogME, H-score and kNN from the features alone; LEEP and
 * NCE only with the source classifier's probabilities, which a backbone without its
 * classification head cannot give.
 */
export function estimatorScores(features: LabelledFeatures, source?: SourceProbabilities): EstimatorScores {
  checkLabelledFeatures(features);
  const scores: Partial<Record<EstimatorSignal, number>> = {
    logme: logme(features),
    hscore: hscore(features),
    knn: knnAccuracy(features),
  };
  const skipped: Partial<Record<EstimatorSignal, string>> = {};
  if (source) {
    scores.leep = leep(features, source);
    scores.nce = nce(features, source);
  } else {
    skipped.leep = skipped.nce =
      'the backbone has no source classifier head, so there are no source-class probabilities';
  }
  return { scores, skipped, settings: { logme: 'fixed-point', knnK: KNN_K, hscore: 'ledoit-wolf shrinkage' } };
}
