/** Registered datasets: listed, read, registered from a description, and their ingestion profile. */
import { invalid, notFound } from '../errors.js';
import type { DatasetProfile } from '../images/index.js';
import { datasetInputSchema, zodIssues, type Dataset } from '../registry/index.js';
import {
  collectAll,
  createDataset,
  getDataset,
  getDatasetStorage,
  listDatasets as listStoredDatasets,
  type DatasetFilter,
  type PageOf,
  type PageRequest,
} from '../store/index.js';
import type { Db } from './session.js';

export type { DatasetFilter };

export function listDatasets(db: Db, filter: DatasetFilter, page: PageRequest): Promise<PageOf<Dataset>> {
  return listStoredDatasets(db.knex, filter, page);
}

export function allDatasets(db: Db, filter: DatasetFilter): Promise<Dataset[]> {
  return collectAll((page) => listStoredDatasets(db.knex, filter, page));
}

export async function datasetById(db: Db, id: string): Promise<Dataset> {
  const dataset = await getDataset(db.knex, id);
  if (!dataset) throw notFound('dataset', id);
  return dataset;
}

/** Registers a dataset's metadata; the schema also normalises it (trimmed text, lowercase modality). */
export async function registerDataset(db: Db, input: unknown): Promise<Dataset> {
  const parsed = datasetInputSchema.safeParse(input);
  if (!parsed.success) throw invalid('the dataset description is invalid', zodIssues(parsed.error));
  return createDataset(db.knex, parsed.data, 'api');
}

/** The profile of a dataset's ingested images; null when it was registered without images. */
export async function ingestedProfile(db: Db, id: string): Promise<DatasetProfile | null> {
  const storage = await getDatasetStorage(db.knex, id);
  if (!storage) throw notFound('dataset', id);
  return storage.profile as DatasetProfile | null;
}
