/**
 * Previews of a dataset's stored images: a seeded sample of a few per class, and each image as a
 * small PNG. Only ingested datasets have images; registry datasets are described, not held.
 */
import { AppError, notFound } from '../errors.js';
import { StoredDataset, thumbnailPng, THUMBNAIL_SIZES, type Split } from '../images/index.js';
import { dataDir, getDatasetStorage } from '../store/index.js';
import { storedImagesDir } from './stored-images.js';
import type { Db } from './session.js';

export interface ThumbnailSample {
  readonly dataset: string;
  readonly images: number;
  readonly items: readonly { readonly index: number; readonly label: string; readonly split: Split | null }[];
}

/** The sample is the same on every call, so a page shows the same previews each visit. */
const SAMPLE_SEED = 0;

async function openStored(db: Db, id: string, root: string): Promise<StoredDataset> {
  const storage = await getDatasetStorage(db.knex, id);
  if (!storage) throw notFound('dataset', id);
  if (!storage.imagesDir) {
    throw new AppError(
      'not-found',
      'No stored images',
      `dataset '${id}' was registered without images, so there is nothing to preview`,
      [{ field: 'id', message: 'no ingested images' }],
    );
  }
  return StoredDataset.open(await storedImagesDir(db.knex, id, root));
}

async function withStored<T>(db: Db, id: string, root: string, use: (s: StoredDataset) => Promise<T>): Promise<T> {
  const stored = await openStored(db, id, root);
  try {
    return await use(stored);
  } finally {
    await stored.close();
  }
}

export function thumbnailSample(
  db: Db,
  id: string,
  perClass: number,
  root: string = dataDir(),
): Promise<ThumbnailSample> {
  return withStored(db, id, root, async (stored) => {
    const m = stored.manifest;
    const indices = stored.select({ perClass, seed: SAMPLE_SEED });
    const items = indices
      .map((index) => ({ index, label: m.classNames[m.labels[index]!]!, split: m.splits[index] ?? null }))
      .sort((a, b) => m.labels[a.index]! - m.labels[b.index]! || a.index - b.index);
    return { dataset: id, images: m.count, items };
  });
}

export function thumbnailImage(
  db: Db,
  id: string,
  index: number,
  size: number = THUMBNAIL_SIZES.default,
  root: string = dataDir(),
): Promise<Buffer> {
  return withStored(db, id, root, async (stored) => {
    const m = stored.manifest;
    if (index >= m.count) {
      throw new AppError('not-found', 'Unknown image', `dataset '${id}' holds ${m.count} images, numbered from 0`, [
        { field: 'index', message: `no image ${index}` },
      ]);
    }
    const batch = await stored.readBatch([index]);
    return thumbnailPng(batch.images, { size: m.size, channels: m.channels }, size);
  });
}
