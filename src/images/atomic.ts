/**
 * All-or-nothing storage of an ingested dataset: ingest into a staging folder beside the final
 * one (same filesystem, so the move is a single rename), move it into place, then let the
 * caller record it (the dataset row). Any failure removes whatever was created.
 */
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { IngestionError } from './errors.js';
import { ingestDataset, type IngestionInput, type IngestionResult } from './ingest.js';
import { ownedPrefix, STAGING_PREFIX } from './leftovers.js';
import type { ProgressCallback } from './progress.js';
import { definedOnly } from '../defaults.js';

/** A fresh staging folder under `root`, named so that listings of `root` can ignore it. */
export async function createStagingDir(root: string): Promise<string> {
  await mkdir(root, { recursive: true });
  return mkdtemp(join(root, ownedPrefix(STAGING_PREFIX)));
}

function targetExists(finalDir: string): IngestionError {
  return new IngestionError('TARGET_EXISTS', `${finalDir} already exists; a stored dataset is never overwritten`, {
    file: finalDir,
  });
}

/** Moves a staged dataset into place with one rename; refuses to replace an existing folder. */
export async function commitStaged(stagingDir: string, finalDir: string): Promise<void> {
  if (await stat(finalDir).catch(() => undefined)) throw targetExists(finalDir);
  await mkdir(dirname(finalDir), { recursive: true });
  try {
    await rename(stagingDir, finalDir);
  } catch (e) {
    // A parallel ingestion of the same id can land between the check above and this rename.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw targetExists(finalDir);
    throw e;
  }
}

export async function discardDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export interface StoreTarget {
  /** Folder holding every stored dataset, e.g. ./data/datasets. */
  readonly datasetsRoot: string;
  /** Folder name of this dataset under the root, e.g. its id. */
  readonly name: string;
  readonly scratchDir?: string;
}

/**
 * Ingests into staging, renames into `datasetsRoot/name`, then calls `persist` (which should
 * insert the dataset row, typically inside a transaction). If ingestion, the rename or
 * `persist` fails, the staged or final folder is removed and the error is rethrown.
 */
export async function ingestAndStore<T>(
  input: IngestionInput,
  target: StoreTarget,
  persist: (result: IngestionResult, dir: string) => Promise<T>,
  onProgress?: ProgressCallback,
): Promise<{ result: IngestionResult; dir: string; persisted: T }> {
  if (target.name === '' || /[\\/]|^\.\.?$/.test(target.name))
    throw new IngestionError('BAD_OPTIONS', `'${target.name}' is not a plain folder name`);
  const finalDir = join(target.datasetsRoot, target.name);
  if (await stat(finalDir).catch(() => undefined)) throw targetExists(finalDir);
  const staging = await createStagingDir(target.datasetsRoot);
  let committed = false;
  try {
    const result = await ingestDataset(
      input,
      { stagingDir: staging, ...definedOnly({ scratchDir: target.scratchDir || undefined }) },
      onProgress,
    );
    await commitStaged(staging, finalDir);
    committed = true;
    const persisted = await persist(result, finalDir);
    return { result, dir: finalDir, persisted };
  } catch (e) {
    await discardDir(committed ? finalDir : staging);
    throw e;
  }
}
