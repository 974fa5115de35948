/**
 * Transferability estimator scores of a stored dataset under a probe whose weights the service
 * holds: one forward pass over the stored images (Task2Vec's own preprocessing and feature
 * stage), then LogME, H-score and kNN on the features. The rows follow the pair-signals format
 * (subject_kind 'backbone'); storing them is the caller's one call to the pair-signals store.
 */
import type { Db } from './session.js';
import { initCompute } from '../compute/backend.js';
import { notFound } from '../errors.js';
import { estimatorScores, type EstimatorScores } from '../estimators/index.js';
import { estimatorPairSignals, type EstimatorPairSignal } from '../estimators/signals.js';
import { StoredDataset } from '../images/stored.js';
import { probeRecordOf, resolveProbeSource } from './probes.js';
import type { ProbeIdentity } from '../probes/probe.js';
import { dataDir } from '../store/config.js';
import { getDataset } from '../store/datasets.js';
import { ensureProbe } from '../store/probes.js';
import { indexClasses, type LabelledImages } from '../task2vec/images.js';
import { DEFAULT_OPTIONS } from '../task2vec/options.js';
import { storedImagesDir } from './stored-images.js';
import { probeFeatures, type ProgressCallback } from '../task2vec/task2vec.js';
import { definedOnly } from '../defaults.js';

export interface EstimatorRequest {
  readonly dataset: string;
  /** A registered probe's id, id prefix or name, or a probe folder; the bundled probe by default. */
  readonly probe?: string;
  /** At most this many images, chosen stratified by class with `seed`, as `embed --max-images` does. */
  readonly maxImages?: number;
  /** Another input size than the probe's own: a different probe identity, as for embeddings. */
  readonly inputSize?: number;
  readonly seed?: number;
  readonly dataDir?: string;
}

export interface EstimatorOutcome extends EstimatorScores {
  readonly dataset: string;
  readonly probeId: string;
  readonly imageCount: number;
  readonly featureSize: number;
  readonly signals: EstimatorPairSignal[];
}

/** Scores from features already computed (by an embedding's feature stage, for instance). */
export function scoresFromFeatures(
  images: Pick<LabelledImages, 'id' | 'count' | 'labels'>,
  probe: ProbeIdentity,
  features: Float32Array,
  featureSize: number,
): EstimatorOutcome {
  const classes = indexClasses(images);
  const result = estimatorScores({
    count: images.count,
    dimension: featureSize,
    values: features,
    labels: classes.labels,
    classes: classes.classCount,
  });
  return {
    ...result,
    dataset: images.id,
    probeId: probe.id,
    imageCount: images.count,
    featureSize,
    signals: estimatorPairSignals(images.id, probe.id, result),
  };
}

export async function computeEstimatorScores(
  store: Db,
  request: EstimatorRequest,
  onProgress?: ProgressCallback,
): Promise<EstimatorOutcome> {
  if (!(await getDataset(store.knex, request.dataset))) throw notFound('dataset', request.dataset, 'dataset');
  const dir = await storedImagesDir(store.knex, request.dataset, request.dataDir ?? dataDir());
  const source = await resolveProbeSource(store, request.probe, request.inputSize);
  const seed = request.seed ?? DEFAULT_OPTIONS.seed;
  const stored = await StoredDataset.open(dir);
  try {
    const images = stored.stream(request.dataset, {
      seed,
      ...definedOnly({ limit: request.maxImages }),
    });
    await initCompute();
    const { features, featureSize, identity } = await probeFeatures(
      { folder: source.folder, meta: source.meta },
      images,
      DEFAULT_OPTIONS.batchSize,
      onProgress ? { onProgress } : {},
    );
    await ensureProbe(store.knex, probeRecordOf(identity, source.location));
    return scoresFromFeatures(images, identity, features, featureSize);
  } finally {
    await stored.close();
  }
}
