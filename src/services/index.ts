export {
  withStore,
  migrate,
  dataDir,
  describeStore,
  ingestionConfigFromEnv,
  openStore,
  storeConfigFromEnv,
  type Db,
  type IngestionConfig,
  type PageOf,
  type PageRequest,
  type Store,
  type StoreConfig,
} from './session.js';
export {
  allDatasets,
  datasetById,
  ingestedProfile,
  listDatasets,
  registerDataset,
  type DatasetFilter,
} from './datasets.js';
export {
  allResults,
  contributeResults,
  importResults,
  listResults,
  resultById,
  type Contribution,
  type QueryFields,
  type ResultView,
} from './results.js';
export { attribute, restoreResult, withdrawResult, type Sender } from './contribute.js';
export {
  SCOPES,
  LOCAL_OWNER,
  apiTokens,
  createToken,
  parseScopes,
  revokeApiToken,
  type Actor,
  type Caller,
  type CreatedToken,
  type Scope,
  type StoredToken,
} from './tokens.js';
export type { Reply } from './idempotency.js';
export { transferabilityTable, withTransferability, type WithTransferability } from './transferability.js';
export { correlationAnalysis, type AnalysisOptions } from './analysis.js';
export { estimatorAnalysis } from './estimator-analysis.js';
export { thumbnailImage, thumbnailSample, type ThumbnailSample } from './thumbnails.js';
export {
  currentRanker,
  evaluateEvidence,
  refitRanker,
  storedEvaluation,
  type FittedRanker,
  type RefitOptions,
} from './ranker.js';
export {
  recommend,
  type RecommendationRequest,
  type RecommendationResult,
  type RecommendedBackbone,
  type TargetSimilarity,
} from './recommend.js';
export { prepareTargetFromPath, type PathTarget, type PreparedTarget } from './target-from-path.js';
export type { ResultQuery } from './result-query.js';
export {
  computeEmbedding,
  checkEmbeddable,
  datasetEmbeddings,
  embeddingView,
  type ComputedEmbedding,
  type EmbeddingRequest,
  type EmbeddingView,
} from './embeddings.js';
export {
  computeEstimatorScores,
  scoresFromFeatures,
  type EstimatorOutcome,
  type EstimatorRequest,
} from './estimators.js';
export { importEmbedding, IMPORT_METHODS, type EmbeddingImport } from './embedding-import.js';
export {
  comparable,
  identityOf,
  storedDistance,
  storedDistanceMatrix,
  DISTANCE_CHOICES,
  type DistanceChoice,
  type DistanceQuery,
  type StoredDistance,
  type StoredDistanceMatrix,
} from './distances.js';
export { knownProbes, registerProbeFolder, ensureBundledProbe, type ProbeMetaInput } from './probes.js';
export { findProbe } from './find-probe.js';
export {
  submitExpertAnswer,
  datasetExpertFeatures,
  storedExpertDistance,
  TIE_RULE,
  type DatasetExpertFeatures,
  type SubmittedAnswer,
  type StoredExpertDistance,
} from './experts.js';
export {
  ingestIntoStore,
  checkIngestible,
  datasetIdFromName,
  DEFAULT_MODALITY,
  DEFAULT_LICENCE,
  type IngestRequest,
  type IngestMetadata,
  type IngestOptions,
  type IngestOutcome,
} from './ingest.js';
export { resolveInsideRoots } from './data-roots.js';
export { seedRegistry, readRegistryStudies, type SeedSummary } from './seed.js';
export {
  importStudy,
  importStudyFolder,
  importPairSignals,
  importPairSignalsCsv,
  studySummaries,
  studyDetail,
  signalsForTarget,
  type StudyLoadSummary,
  type StudySummary,
  type StudyDetail,
  type SignalImportOutcome,
} from './studies.js';
export type { SignalSubjectKind } from '../store/index.js';
export { float32ToBytes, type ProbeRecord } from '../store/index.js';
export { isStoreUnavailable, storeReachable, RETRY_AFTER_SECONDS } from '../store/index.js';
