/** Where a dataset's ingested images are, for every service that reads them. */
import { join } from 'node:path';
import type { Knex } from 'knex';
import { AppError } from '../errors.js';
import { getDatasetStorage } from '../store/datasets.js';

/** The folder of a dataset's stored images under `root`; refuses a dataset that has none. */
export async function storedImagesDir(db: Knex, dataset: string, root: string): Promise<string> {
  const storage = await getDatasetStorage(db, dataset);
  if (!storage?.imagesDir) {
    throw new AppError(
      'unprocessable',
      'No stored images',
      `dataset '${dataset}' has no stored images to embed; add them first with transfer-atlas datasets add <path>`,
      [{ field: 'dataset', message: 'no stored images' }],
    );
  }
  return join(root, storage.imagesDir);
}
