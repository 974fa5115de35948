/**
 * Embeddings of stored datasets: compute one (stored images, a probe, options) and record it,
 * or list and read recorded ones. The thin API and CLI call these.
 */
import { join } from 'node:path';
import type { Knex } from 'knex';
import type { Db } from './session.js';
import { initCompute } from '../compute/index.js';
import { AppError, notFound } from '../errors.js';
import { loadStoredImages } from '../images/index.js';
import { probeRecordOf, resolveProbeSource } from './probes.js';
import { dataDir, getDataset, getDatasetStorage, getEmbedding, insertEmbedding, listEmbeddings, type StoredEmbedding, ensureProbe, getProbe, type ProbeRecord } from '../store/index.js';
import { type LabelledImages, resolveOptions, type Task2VecOptionsInput, embedParallel, type ProgressCallback } from '../task2vec/index.js';

export interface EmbeddingRequest {
  readonly dataset: string;
  /** A registered probe's id, id prefix or name, or a probe folder; the bundled probe by default. */
  readonly probe?: string;
  /** Another input size than the probe's own: a different probe identity. */
  readonly inputSize?: number;
  /** At most this many images, chosen stratified by class with the embedding's seed. */
  readonly maxImages?: number;
  readonly options?: Task2VecOptionsInput;
  /** The data folder whose stored images to read; TA_DATA_DIR by default. */
  readonly dataDir?: string;
}

/** A stored embedding with the probe record that gives its vector meaning. */
export interface EmbeddingView extends StoredEmbedding {
  readonly probe: ProbeRecord;
}

async function storedImagesDir(db: Knex, dataset: string, root: string): Promise<string> {
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

/**
 * Computes a Task2Vec embedding of a stored dataset and records it. The passes through the probe
 * run on worker threads (embedParallel), so an API process keeps answering meanwhile.
 */
export async function computeEmbedding(db: Db, request: EmbeddingRequest, onProgress?: ProgressCallback): Promise<EmbeddingView> {
  if (!(await getDataset(db.knex, request.dataset))) throw notFound('dataset', request.dataset, 'dataset');
  const options = resolveOptions(request.options);
  const dir = await storedImagesDir(db.knex, request.dataset, request.dataDir ?? dataDir());
  const source = await resolveProbeSource(db, request.probe, request.inputSize);
  const batch = await loadStoredImages(dir, request.dataset, { seed: options.seed, ...(request.maxImages !== undefined ? { limit: request.maxImages } : {}) });
  const images: LabelledImages = { id: batch.id, count: batch.count, height: batch.height, width: batch.width, channels: batch.channels, pixels: batch.pixels, labels: batch.labels };
  await initCompute();
  const e = await embedParallel({ folder: source.folder, meta: source.meta }, images, options, onProgress ? { onProgress } : {});
  const record = probeRecordOf(e.probe, source.location);
  await ensureProbe(db.knex, record);
  const id = await insertEmbedding(db.knex, {
    datasetId: request.dataset,
    probeId: e.probe.id,
    method: e.method,
    hessian: e.hessian,
    scale: e.scale,
    options: { ...e.options, classCount: e.classCount, backend: e.backend, stages: e.stages, ...(request.maxImages !== undefined ? { maxImages: request.maxImages } : {}) },
    seed: e.options.seed,
    imageCount: e.imageCount,
    durationMs: Math.round(e.durationMs),
    origin: 'computed',
  });
  return (await embeddingView(db, id))!;
}

async function withProbe(db: Knex, e: StoredEmbedding): Promise<EmbeddingView> {
  const probe = await getProbe(db, e.probeId);
  if (!probe) throw new Error(`embedding ${e.id} refers to probe ${e.probeId}, which is not recorded`);
  return { ...e, probe };
}

export async function embeddingView(db: Db, id: number): Promise<EmbeddingView | undefined> {
  const e = await getEmbedding(db.knex, id);
  return e ? withProbe(db.knex, e) : undefined;
}

/** A dataset's embeddings, newest last, optionally under one probe. */
export async function datasetEmbeddings({ knex: db }: Db, dataset: string, probeId?: string): Promise<EmbeddingView[]> {
  if (!(await getDataset(db, dataset))) throw notFound('dataset', dataset);
  const found = await listEmbeddings(db, { datasetId: dataset, ...(probeId !== undefined ? { probeId } : {}) });
  return Promise.all(found.map((e) => withProbe(db, e)));
}
