/**
 * Estimator scores as pair signals, in the agreed format of the pair-signals table:
 * (subject_kind 'backbone', subject, target, signal, value, provenance). The subject is the
 * backbone whose features were scored; the provenance names the computation, so a later
 * computation of the same pair replaces the value instead of adding a second one.
 */
import type { EstimatorScores, EstimatorSignal } from './index.js';

export interface EstimatorPairSignal {
  readonly subject_kind: 'backbone';
  readonly subject: string;
  readonly target: string;
  readonly signal: EstimatorSignal;
  readonly value: number;
  readonly provenance: string;
}

/**
 * A probe is a backbone whose weights the service holds: its id (a hash of topology, weights,
 * input size and pixel scaling) names exactly which network produced the features.
 */
export const backboneOfProbe = (probeId: string): string => `probe:${probeId}`;

export const ESTIMATOR_PROVENANCE = 'computed:estimators';

export function estimatorPairSignals(target: string, probeId: string, result: EstimatorScores): EstimatorPairSignal[] {
  return Object.entries(result.scores).map(([signal, value]) => ({
    subject_kind: 'backbone',
    subject: backboneOfProbe(probeId),
    target,
    signal: signal as EstimatorSignal,
    value,
    provenance: ESTIMATOR_PROVENANCE,
  }));
}
