export { fromWireInput, referenceOf, toDomainResult, wireField } from './runs.js';
export { CONTRIBUTOR_ID, storeContributions, validateContributions, withdrawResult, type ContributeOptions } from './contribute.js';
export { idempotent, requestHash, type Reply } from './idempotency.js';
export { observedPairs, transferabilityTable, withTransferability, type TransferabilityUnavailable, type TransferabilityValue, type WithTransferability } from './transferability.js';
export { defaultProbe, EXPERT_SIGNAL, loadSignals, parseProxy, task2vecSignal, type ProbeCoverage, type Signals } from './signals.js';
export { correlationAnalysis, type AnalysisOptions } from './analysis.js';
export { currentRanker, evaluation, loadEvidence, type EvaluationOptions, type Evidence, type FittedRanker, type RankerSetup } from './ranker.js';
export { recommend, type EmbeddingStatus, type RecommendationRequest, type RecommendationResult, type RecommendedSource } from './recommend.js';
export { prepareTargetFromPath, type PathTarget, type PreparedTarget } from './target-from-path.js';
