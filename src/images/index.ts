export { ingestDataset, DEFAULT_LIMITS, limitsForUpload, EXPANSION_FACTOR } from './ingest.js';
export type {
  IngestionInput,
  IngestionTarget,
  IngestionResult,
  IngestionLimits,
  SplitSource,
  OptionStyle,
} from './ingest.js';
export { ingestAndStore, createStagingDir, commitStaged, discardDir } from './atomic.js';
export type { StoreTarget } from './atomic.js';
export { receiveUpload } from './upload.js';
export { IngestionError, listForMessage } from './errors.js';
export type { IngestionErrorCode, ImageIssue, ImageIssueCode } from './errors.js';
export { StoredDataset, loadStoredImages, PIXELS_FILE, MANIFEST_FILE, PROFILE_FILE } from './stored.js';
export type { StoredManifest, ImageBatch, LabelledBatch, SelectOptions } from './stored.js';
export type {
  DatasetProfile,
  ChannelsChoice,
  ProfileWarning,
  ProfileWarningCode,
  ProfileThresholds,
} from './profile.js';
export type { IngestionProgress, IngestionStage, ProgressCallback } from './progress.js';
export type { Split, SplitFractions } from './split.js';
export type { DatasetFormat } from './listing.js';
export type { Fit } from './decode.js';
export { parseNpy, encodeNpy, encodeNpyFloat32, toFloat64, NpyFormatError } from './npy.js';
export type { NpyArray, NpyData, NpyDtype } from './npy.js';
export type { LabelledImages, StreamedImages } from './labelled.js';
export { streamOf } from './labelled.js';
export { sweepLeftovers, ownedPrefix, UPLOAD_PREFIX, INGEST_PREFIX, STAGING_PREFIX } from './leftovers.js';
export { thumbnailPng, THUMBNAIL_SIZES } from './thumbnail.js';
