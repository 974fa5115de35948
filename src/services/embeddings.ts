/**
 * Embeddings of stored datasets: compute one (stored images, a probe, options) and record it,
 * or list and read recorded ones. The thin API and CLI call these.
 */
import type { Knex } from 'knex';
import type { Db } from './session.js';
import { initCompute } from '../compute/index.js';
import { notFound } from '../errors.js';
import { StoredDataset } from '../images/index.js';
import { probeRecordOf, resolveProbeSource } from './probes.js';
import { dataDir } from '../store/config.js';
import { getDataset } from '../store/datasets.js';
import { storedImagesDir } from './stored-images.js';
import { getEmbedding, insertEmbedding, listEmbeddings, type StoredEmbedding } from '../store/embeddings.js';
import { ensureProbe, getProbe, type ProbeRecord } from '../store/probes.js';
import { resolveOptions, type Task2VecOptionsInput } from '../task2vec/options.js';
import { embedParallel, type ProgressCallback } from '../task2vec/task2vec.js';
import { upsertPairSignals } from '../store/pair-signals.js';
import { scoresFromFeatures, type EstimatorOutcome } from './estimators.js';
import { definedOnly } from '../defaults.js';

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

/** Refuses, before any work is queued or done, a dataset that does not exist or has no stored images. */
export async function checkEmbeddable({ knex: db }: Db, dataset: string): Promise<void> {
  if (!(await getDataset(db, dataset))) throw notFound('dataset', dataset, 'dataset');
  await storedImagesDir(db, dataset, '');
}

/**
 * A freshly computed embedding with the transferability estimator scores of the same probe on
 * the same images, from the features Task2Vec cached anyway: `estimators.signals` are the
 * pair-signal rows (subject_kind 'backbone') to store.
 */
export interface ComputedEmbedding extends EmbeddingView {
  readonly estimators: EstimatorOutcome;
}

/**
 * Computes a Task2Vec embedding of a stored dataset and records it. The passes through the probe
 * run on worker threads (embedParallel), so an API process keeps answering meanwhile.
 */
export async function computeEmbedding(
  db: Db,
  request: EmbeddingRequest,
  onProgress?: ProgressCallback,
  within?: (trx: Knex, id: number) => Promise<void>,
): Promise<ComputedEmbedding> {
  await checkEmbeddable(db, request.dataset);
  const options = resolveOptions(request.options);
  const dir = await storedImagesDir(db.knex, request.dataset, request.dataDir ?? dataDir());
  const source = await resolveProbeSource(db, request.probe, request.inputSize);
  // Streamed from the stored file a batch at a time: thousands of images never sit in memory at once.
  const stored = await StoredDataset.open(dir);
  let cached: { features: Float32Array; featureSize: number } | undefined;
  const images = stored.stream(request.dataset, {
    seed: options.seed,
    ...definedOnly({ limit: request.maxImages }),
  });
  let e: Awaited<ReturnType<typeof embedParallel>>;
  try {
    await initCompute();
    e = await embedParallel({ folder: source.folder, meta: source.meta }, images, options, {
      ...definedOnly({ onProgress: onProgress || undefined }),
      onFeatures: (features, featureSize) => {
        cached = { features, featureSize };
      },
    });
  } finally {
    await stored.close();
  }
  const record = probeRecordOf(e.probe, source.location);
  const estimators = scoresFromFeatures(images, e.probe, cached!.features, cached!.featureSize);
  // The embedding, its estimator scores and whatever the caller records with it (a job's completion) commit together.
  const id = await db.knex.transaction(async (trx) => {
    await ensureProbe(trx, record);
    await upsertPairSignals(trx, estimators.signals);
    const inserted = await insertEmbedding(trx, {
      datasetId: request.dataset,
      probeId: e.probe.id,
      method: e.method,
      hessian: e.hessian,
      scale: e.scale,
      options: {
        ...e.options,
        classCount: e.classCount,
        backend: e.backend,
        stages: e.stages,
        ...definedOnly({ maxImages: request.maxImages }),
      },
      seed: e.options.seed,
      imageCount: e.imageCount,
      durationMs: Math.round(e.durationMs),
      origin: 'computed',
    });
    await within?.(trx, inserted);
    return inserted;
  });
  return { ...(await embeddingView(db, id))!, estimators };
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
  const found = await listEmbeddings(db, { datasetId: dataset, ...definedOnly({ probeId }) });
  return Promise.all(found.map((e) => withProbe(db, e)));
}
