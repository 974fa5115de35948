export {
  storeConfigFromEnv,
  describeStore,
  dataDir,
  ingestionConfigFromEnv,
  DEFAULT_MAX_UPLOAD_BYTES,
  type StoreConfig,
  type IngestionConfig,
} from './config.js';
export { openStore, type Store } from './connect.js';
export { migrateToLatest } from './migrations.js';
export { canonicalJson } from './canonical.js';
export { collectAll, isPostgres, isUniqueViolation, type PageOf, type PageRequest } from './rows.js';
export {
  listDatasets,
  getDataset,
  createDataset,
  upsertDataset,
  existingDatasetIds,
  createIngestedDataset,
  getDatasetStorage,
  type DatasetFilter,
  type UpsertOutcome,
  type DatasetStorage,
} from './datasets.js';
export {
  listRuns,
  allRuns,
  getRun,
  insertRun,
  withdrawRun,
  restoreRun,
  runIdForIdempotencyKey,
  type NewRun,
  type RunFilter,
} from './results.js';
export { ensureContributor, type Contributor, type Role } from './contributors.js';
export { ensureProbe, getProbe, listProbes, type ProbeRecord } from './probes.js';
export {
  insertEmbedding,
  listEmbeddings,
  getEmbedding,
  deleteEmbeddings,
  float32ToBytes,
  bytesToFloat32,
  type NewEmbedding,
  type StoredEmbedding,
  type EmbeddingFilter,
  type EmbeddingOrigin,
} from './embeddings.js';
export {
  listPublishedExpertDistances,
  replacePublishedExpertDistances,
  type PublishedExpertDistance,
} from './experts.js';
export {
  findRankerByTrainingHash,
  getRanker,
  latestRanker,
  listRankers,
  makeRankerCurrent,
  saveRanker,
  updateRankerSummary,
  type StoredRanker,
} from './rankers.js';
export { findIdempotentResponse, saveIdempotentResponse, type IdempotentResponse } from './idempotency.js';
export { contributorRole } from './roles.js';
export {
  upsertBackbone,
  ensureDerivedBackbone,
  derivedBackboneId,
  listBackbones,
  getBackbone,
  existingBackboneIds,
  type NewBackbone,
  type StoredBackbone,
  type BackboneWeights,
} from './backbones.js';
export {
  upsertPairSignals,
  listPairSignals,
  type PairSignal,
  type StoredPairSignal,
  type PairSignalFilter,
  type SignalSubjectKind,
} from './pair-signals.js';
export {
  upsertStudy,
  listStudies,
  getStudy,
  studyCounts,
  declaredSignals,
  replaceSpreads,
  listSpreads,
  type NewStudy,
  type StoredStudy,
  type StudyCounts,
  type StudyCandidateSet,
  type StudySignalDefinition,
  type ResultSpread,
} from './studies.js';
export {
  insertJob,
  getJob,
  listJobs,
  countJobsByState,
  nextDueJob,
  claimJob,
  heartbeat,
  markSucceeded,
  endAttempt,
  requestCancel,
  staleRunningJobs,
  requeueStale,
  type NewJob,
  type JobFilter,
  type Outcome,
} from './jobs.js';
export { isStoreUnavailable, storeReachable, RETRY_AFTER_SECONDS } from './availability.js';
export { listExpertAnswers, saveExpertAnswer, type StoredExpertAnswer } from './expert-answers.js';
export {
  insertToken,
  activeTokenByHash,
  getToken,
  listTokens,
  anyToken,
  revokeToken,
  touchToken,
  type StoredToken,
} from './tokens.js';
