export { averageRanks, mean, pearson, sampleStd, spearman } from './stats.js';
export { logGamma, regularizedIncompleteBeta, studentTTwoSided } from './special.js';
export { correlationTest, exactPermutationPValue, EXACT_PERMUTATION_MAX_N } from './correlation-test.js';
export type { CorrelationKind, CorrelationTest, PValueMethod } from './correlation-test.js';
export { bootstrapCorrelation, DEFAULT_BOOTSTRAP } from './bootstrap.js';
export type { BootstrapInterval, BootstrapOptions } from './bootstrap.js';
export { distanceSignals, indexDistances, resolveDistance } from './distances.js';
export type { DistanceIndex, DistanceProxy, PairDistance, ResolvedDistance } from './distances.js';
export { analyseCorrelations, analyseSignal } from './correlation-analysis.js';
export { analyseEstimators, type EstimatorCorrelation, type EstimatorPoint } from './estimator-correlation.js';
export type {
  CorrelationAnalysis,
  CorrelationAnalysisInput,
  LeftOutPair,
  LeftOutReason,
  PairValue,
  SignalCorrelation,
  UsedPair,
} from './correlation-analysis.js';
export { ndcgAtK, rankCorrelation, regretAt1 } from './metrics.js';
export { weightedTau } from './weighted-tau.js';
export { wilcoxonSignedRank } from './wilcoxon.js';
export type { WilcoxonTest } from './wilcoxon.js';
export { groupKey, groupObservations, historyPrior, indexSignals } from './backbone-evidence.js';
export type {
  BackboneTraits,
  Evidence,
  Group,
  Observation,
  PairSignal,
  SignalDirection,
  SignalIndex,
  TargetTraits,
} from './backbone-evidence.js';
export { DEFAULT_GRID, fitBackboneRanker, rankBackbones } from './backbone-ranker.js';
export type {
  BackboneEvidence,
  BackbonePrediction,
  BackboneRanker,
  CrossValidationSummary,
  Explanation,
  HyperGrid,
  MeasuredOn,
  RankerHyper,
  RankRequest,
  RankerOptions as BackboneRankerOptions,
} from './backbone-ranker.js';
export {
  evaluateRanker,
  HISTORY,
  LARGEST,
  LEARNED as RANKER,
  METRICS,
  RANDOM as RANDOM_RANKING,
} from './backbone-evaluation.js';
export type {
  Comparison,
  EvaluationOptions,
  HeldOutGroup,
  HeldOutPrediction,
  MethodScore,
  MethodSummary as RankerMethodSummary,
  Metric,
  MetricSummary,
  RankerEvaluation,
  ScopeSummary,
} from './backbone-evaluation.js';
export { describeMatch, matchMeasuredTarget, sameDataBound } from './target-match.js';
export type { MatchOptions, MatchVerdict, MeasuredNeighbour, TargetMatch } from './target-match.js';
