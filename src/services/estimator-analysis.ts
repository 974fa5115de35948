/** The estimator analysis over what the store holds: every backbone score against the fine-tuned results. */
import { analyseEstimators, groupObservations, type EstimatorCorrelation } from '../ranking/index.js';
import { loadStoreEvidence } from './ranker.js';
import type { Db } from './session.js';

export async function estimatorAnalysis(db: Db): Promise<EstimatorCorrelation[]> {
  const { evidence } = await loadStoreEvidence(db);
  return analyseEstimators(groupObservations(evidence.observations), evidence.signals);
}
