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

/** Content of a file; for a folder, every file's relative path, size and modification time. */
async function fingerprint(path: string): Promise<string> {
  const info = await stat(path);
  if (info.isFile()) return (await hashFile(path)).digest('hex');
  const hash = createHash('sha256');
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
  return hash.digest('hex');
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
  const id = `${datasetIdFromName(name).slice(0, 50)}-${(await fingerprint(target.path)).slice(0, 8)}`;

  let ingested = false;
  const existing = await getDataset(db.knex, id);
  if (!existing) {
    await ingestIntoStore(
      db,
      {
        path: target.path,
        field: 'path',
        metadata: { id, name },
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
