export { datasetInputSchema, expertFeaturesSchema, zodIssues, DATASET_ID, type Dataset, type DatasetInput, type RecordOrigin, type FieldIssue } from './dataset.js';
export { readRegistryDatasets, type RegistryFile } from './files.js';
export { readPublications, readPublication, type Publication } from './publication.js';
export { seedRegistry, runIdFor, type SeedSummary } from './seed.js';
export { ingestIntoStore, datasetIdFromName, DEFAULT_MODALITY, DEFAULT_LICENCE, type IngestRequest, type IngestMetadata, type IngestOptions, type IngestOutcome } from './ingest.js';
export { ingestionProblem } from './ingestion-problem.js';
export { resolveInsideRoots } from './data-roots.js';
