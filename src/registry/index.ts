export {
  datasetInputSchema,
  expertFeaturesSchema,
  zodIssues,
  DATASET_ID,
  type Dataset,
  type DatasetInput,
  type RecordOrigin,
} from './dataset.js';
export { readRegistryDatasets, type RegistryFile } from './files.js';
