/**
 * A target given as data on disk rather than as a registered id: ingest it once, embed it once
 * with the bundled probe, and hand back its id. Both steps are skipped when the same data
 * (by content fingerprint) and the same options were already processed, so re-running is cheap.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import type { Db } from './session.js';
import { conflict } from '../errors.js';
import type { ProgressCallback as IngestProgress } from '../images/index.js';
import { ensureBundledProbe } from './probes.js';
import { datasetIdFromName, ingestIntoStore, type IngestOptions } from './ingest.js';
import { canonicalJson, getDataset, getDatasetStorage } from '../store/index.js';
import { computeEmbedding, datasetEmbeddings, type EmbeddingView } from './embeddings.js';
import {
  resolveOptions,
  type Task2VecOptions,
  type Task2VecOptionsInput,
  type ProgressCallback as EmbedProgress,
} from '../task2vec/index.js';
import { definedOnly } from '../defaults.js';

export interface PathTarget {
  readonly path: string;
  readonly name?: string;
  /** The dataset id; by default one made from the name and the data's fingerprint, so that re-running reuses it. */
  readonly id?: string;
  /** What only the user can say about the images; the registry's defaults otherwise. */
  readonly origin?: 'natural' | 'medical';
  readonly modality?: string;
  readonly ingest?: IngestOptions;
  readonly embed?: Task2VecOptionsInput;
  readonly maxImages?: number;
}

export interface PreparedTarget {
  readonly dataset: string;
  readonly ingested: boolean;
  readonly embedding: EmbeddingView;
  readonly embedded: boolean;
}

async function hashFile(path: string, hash = createHash('sha256')): Promise<ReturnType<typeof createHash>> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash;
}

/**
 * Content of a file; for a folder, every file's relative path, size and modification time. Ingest
 * options that change the stored images (size, channels, ...) join in when given, so that the same
 * data read another way is another dataset; without them the id stays what earlier versions made.
 */
async function fingerprint(path: string, options: IngestOptions | undefined): Promise<string> {
  const optionText = options !== undefined && Object.keys(options).length > 0 ? canonicalJson(options) : '';
  const info = await stat(path);
  const hash = info.isFile() ? await hashFile(path) : createHash('sha256');
  if (optionText !== '') hash.update(`\0options\0${optionText}`);
  if (info.isFile()) return hash.digest('hex').slice(0, 8);
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else {
        const s = await stat(full);
        hash.update(`${relative(path, full)}\0${s.size}\0${s.mtimeMs}\n`);
      }
    }
  };
  await walk(path);
  return hash.digest('hex').slice(0, 8);
}

const COMPARED_OPTIONS: readonly (keyof Task2VecOptions)[] = [
  'method',
  'seed',
  'batchSize',
  'samples',
  'balanced',
  'fisherEpochs',
  'classifier',
];

function sameOptions(stored: Record<string, unknown>, wanted: Task2VecOptions, maxImages: number | undefined): boolean {
  const pick = (o: Record<string, unknown>) => Object.fromEntries(COMPARED_OPTIONS.map((k) => [k, o[k]]));
  return (
    canonicalJson(pick(stored)) === canonicalJson(pick(wanted as unknown as Record<string, unknown>)) &&
    stored.maxImages === maxImages
  );
}

export async function prepareTargetFromPath(
  db: Db,
  dataDir: string,
  target: PathTarget,
  progress: { ingest?: IngestProgress; embed?: EmbedProgress } = {},
): Promise<PreparedTarget> {
  const name = target.name ?? basename(target.path, extname(target.path));
  const id = target.id ?? `${datasetIdFromName(name).slice(0, 50)}-${await fingerprint(target.path, target.ingest)}`;

  let ingested = false;
  const existing = await getDataset(db.knex, id);
  if (existing && target.id !== undefined) {
    // A chosen id says nothing about which data it holds, so the data is not assumed to be the same.
    throw conflict(
      `dataset '${id}' already exists; rank it with transfer-atlas recommend ${id}, or choose another --id`,
      [{ field: 'id', message: 'already registered' }],
    );
  }
  if (!existing) {
    await ingestIntoStore(
      db,
      {
        path: target.path,
        field: 'path',
        optionStyle: 'flag',
        metadata: { id, name, ...definedOnly({ origin: target.origin, modality: target.modality }) },
        ...definedOnly({ options: target.ingest || undefined }),
      },
      dataDir,
      progress.ingest,
    );
    ingested = true;
  } else if (!(await getDatasetStorage(db.knex, id))?.imagesDir) {
    throw conflict(`dataset '${id}' exists without stored images; ingest the data under another name`, [
      { field: 'path', message: 'id taken' },
    ]);
  }

  const options = resolveOptions(target.embed);
  const probe = await ensureBundledProbe(db);
  const previous = (await datasetEmbeddings(db, id, probe.id)).filter(
    (e) => e.origin === 'computed' && sameOptions(e.options, options, target.maxImages),
  );
  const reuse = previous.at(-1);
  if (reuse) return { dataset: id, ingested, embedding: reuse, embedded: false };
  const embedding = await computeEmbedding(
    db,
    { dataset: id, options, dataDir, ...definedOnly({ maxImages: target.maxImages }) },
    progress.embed,
  );
  return { dataset: id, ingested, embedding, embedded: true };
}
