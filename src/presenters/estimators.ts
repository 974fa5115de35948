import type { EstimatorOutcome } from '../services/estimators.js';

/** Estimator scores as the CLI's --json and any API route show them: each with its scale. */
export function presentEstimators(o: EstimatorOutcome) {
  return {
    dataset: o.dataset,
    probe: o.probeId,
    images: o.imageCount,
    feature_size: o.featureSize,
    scores: o.scores,
    skipped: o.skipped,
    settings: { logme: o.settings.logme, knn_k: o.settings.knnK, hscore: o.settings.hscore },
    scale: 'raw estimator values; higher is better for each; compare one target across backbones, not across targets',
    signals: o.signals,
  };
}
