/**
 * Task2Vec (Achille et al., 2019), following the reference implementation: preprocess the
 * images for the probe, cache the probe's features, fit a classifier head on them, estimate the
 * diagonal Fisher information of the probe's weights under that head, and reduce it per filter.
 *
 * `embed` runs every pass on the calling thread with a loaded probe; `embedParallel` spreads
 * them over worker threads that each load the probe from its folder. Both run the one `pipeline`
 * on an engine and give the same embedding for the same dataset, probe, options (seed included)
 * and tf backend.
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { backendInfo, type BackendChoice } from '../compute/index.js';
import type { Probe, ProbeIdentity } from '../probes/index.js';
import { batchesPerEpoch, fitClassifier, initClassifier, type Classifier } from './classifier.js';
import type { Task2VecEmbedding } from './embedding.js';
import { localEngine, timedInputs, type Task2VecEngine } from './engine.js';
import { OrderedMean, planMontecarlo, type InputBatch, type MontecarloPlan } from './fisher.js';
import { checkImageShape, checkLabelledImages, indexClasses, type ClassIndex, type LabelledImages } from './images.js';
import { streamOf, type StreamedImages } from '../images/index.js';
import { resolveOptions, type Task2VecOptions, type Task2VecOptionsInput } from './options.js';
import { poolEngine, type ProbeSource } from './pool.js';
import { classBalancedSampler, createRng, deriveSeed, uniformSampler, type IndexSampler } from './random.js';

export type Task2VecStage = 'features' | 'classifier' | 'fisher';

export interface Task2VecProgress {
  readonly stage: Task2VecStage;
  /** Images (or samples drawn) done and due in this stage. */
  readonly done: number;
  readonly total: number;
  readonly imagesPerSecond: number;
  /** Seconds left in this stage at the current rate. */
  readonly etaSeconds: number;
}

export type ProgressCallback = (progress: Task2VecProgress) => void;

/** Counts images as they finish within one stage. */
export type Report = (images: number) => void;

function stageReporter(stage: Task2VecStage, total: number, onProgress: ProgressCallback | undefined): Report {
  const start = performance.now();
  let done = 0;
  return (images) => {
    done += images;
    if (!onProgress) return;
    const seconds = (performance.now() - start) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    onProgress({ stage, done, total, imagesPerSecond: rate, etaSeconds: rate > 0 ? (total - done) / rate : 0 });
  };
}

/** Consecutive batches covering images 0..count-1, in order. */
function featureBatches(count: number, batchSize: number): Int32Array[] {
  const batches: Int32Array[] = [];
  for (let start = 0; start < count; start += batchSize) {
    batches.push(Int32Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i));
  }
  return batches;
}

/**
 * The stages run on an engine as generators that yield each engine call: the caller's driver
 * either runs them straight through (on the calling thread) or awaits each call (over worker
 * threads), so one sequence of stages serves both.
 */
type Stage<Done extends void | Promise<void>, T> = Generator<Done, T, undefined>;

function runNow<T>(stage: Stage<void, T>): T {
  for (;;) {
    const step = stage.next();
    if (step.done) return step.value;
  }
}

async function runAwaiting<T>(stage: Stage<Promise<void>, T>): Promise<T> {
  for (;;) {
    const step = stage.next();
    if (step.done) return step.value;
    await step.value;
  }
}

/** The probe's features of every image, forward passes only; [count, featureSize] row-major. */
function* featureStage<Done extends void | Promise<void>>(
  engine: Task2VecEngine<Done>,
  count: number,
  batchSize: number,
  report?: Report,
): Stage<Done, Float32Array> {
  const features = new Float32Array(count * engine.featureSize);
  const batches = featureBatches(count, batchSize);
  yield engine.features(batches, (k, values, n) => {
    features.set(values, batches[k]![0]! * engine.featureSize);
    report?.(n);
  });
  return features;
}

/**
 * The reference's Monte Carlo Fisher: the filter-wise squared gradients of every batch of the
 * plan, summed and divided by the number of batches. With a batch of one this is the unbiased
 * estimate of E_x E_{y~p(y|x)} (d log p(y|x)/dw)^2; with larger batches it is what the reference
 * and the cats-scans study computed (the square of a batch mean), which is smaller by about the
 * batch size, so only embeddings made with the same batch size compare.
 */
function* montecarloStage<Done extends void | Promise<void>>(
  engine: Task2VecEngine<Done>,
  head: Classifier,
  plan: MontecarloPlan,
  report?: Report,
): Stage<Done, Float64Array> {
  const mean = new OrderedMean(engine.embeddingLength, plan.batches.length);
  yield engine.montecarlo(plan, head, (k, values, n) => {
    mean.add(k, values);
    report?.(n);
  });
  return mean.result();
}

/** The exact diagonal Fisher over inputs 0..count-1: F = mean_x sum_y p(y|x) (d log p(y|x)/dw)^2. */
function* exactStage<Done extends void | Promise<void>>(
  engine: Task2VecEngine<Done>,
  count: number,
  head: Classifier,
  report?: Report,
): Stage<Done, Float64Array> {
  const mean = new OrderedMean(engine.embeddingLength, count);
  yield engine.exact(count, head, (i, values, n) => {
    mean.add(i, values);
    report?.(n);
  });
  return mean.result();
}

export function cacheFeatures(
  probe: Probe,
  inputs: InputBatch,
  count: number,
  batchSize: number,
  report?: Report,
): Float32Array {
  return runNow(featureStage(localEngine(probe, inputs), count, batchSize, report));
}

export function montecarloFisher(
  probe: Probe,
  inputs: InputBatch,
  head: Classifier,
  plan: MontecarloPlan,
  report?: Report,
): Float64Array {
  return runNow(montecarloStage(localEngine(probe, inputs), head, plan, report));
}

export function exactFisher(
  probe: Probe,
  inputs: InputBatch,
  count: number,
  head: Classifier,
  report?: Report,
): Float64Array {
  return runNow(exactStage(localEngine(probe, inputs), count, head, report));
}

/** What every run settles before the first pass: options, classes and the sampler. */
interface Prepared {
  readonly started: number;
  readonly options: Task2VecOptions;
  readonly classes: ClassIndex;
  readonly sampler: IndexSampler;
}

/** Held pixels are checked against the sizes; streamed ones are read as the sizes say. */
function checkImages(images: LabelledImages | StreamedImages): void {
  if ('pixels' in images) checkLabelledImages(images);
  else checkImageShape(images);
}

/** Workers receive each batch's pixels, read when it is sent, from a stream or from held pixels. */
function asStream(images: LabelledImages | StreamedImages): StreamedImages {
  return 'pixels' in images ? streamOf(images) : images;
}

function prepare(images: LabelledImages | StreamedImages, optionsInput: Task2VecOptionsInput): Prepared {
  const started = performance.now();
  const options = resolveOptions(optionsInput);
  checkImages(images);
  const classes = indexClasses(images);
  const sampler = options.balanced
    ? classBalancedSampler(classes.labels, classes.classCount)
    : uniformSampler(images.count);
  return { started, options, classes, sampler };
}

/** Fits the head on the cached features with the seeded initialisation and batches. */
function fitHead(
  prepared: Prepared,
  features: Float32Array,
  featureSize: number,
  onProgress: ProgressCallback | undefined,
): Classifier {
  const { options, classes, sampler } = prepared;
  const { batches, size } = batchesPerEpoch(options.samples, options.batchSize);
  const report = stageReporter('classifier', options.classifier.epochs * batches * size, onProgress);
  let reported = 0;
  return fitClassifier(
    features,
    featureSize,
    classes.labels,
    initClassifier(featureSize, classes.classCount, createRng(deriveSeed(options.seed, 'classifier-init'))),
    sampler,
    createRng(deriveSeed(options.seed, 'classifier-batches')),
    { ...options.classifier, batchSize: options.batchSize, samples: options.samples },
    (done) => {
      report(done - reported);
      reported = done;
    },
  );
}

function fisherPlan(prepared: Prepared): MontecarloPlan {
  const { options, sampler } = prepared;
  return planMontecarlo(sampler, createRng(deriveSeed(options.seed, 'fisher-batches')), options.seed, {
    samples: options.samples,
    batchSize: options.batchSize,
    epochs: options.fisherEpochs,
  });
}

const planTotal = (plan: MontecarloPlan): number => plan.batches.reduce((n, b) => n + b.length, 0);

interface Timings {
  readonly featuresMs: number;
  readonly classifierMs: number;
  readonly fisherMs: number;
  readonly preprocessMs: number;
}

function assemble(
  prepared: Prepared,
  images: Pick<LabelledImages, 'id' | 'count'>,
  identity: ProbeIdentity,
  fisher: Float64Array,
  t: Timings,
): Task2VecEmbedding {
  const hessian = Float32Array.from(fisher);
  return {
    hessian,
    scale: new Float32Array(hessian.length).fill(1),
    probe: identity,
    method: prepared.options.method,
    options: prepared.options,
    dataset: images.id,
    imageCount: images.count,
    classCount: prepared.classes.classCount,
    backend: tf.getBackend(),
    durationMs: performance.now() - prepared.started,
    stages: {
      preprocessMs: t.preprocessMs,
      featuresMs: t.featuresMs,
      classifierMs: t.classifierMs,
      fisherMs: t.fisherMs,
    },
  };
}

/** Receives the probe's features of every image, [count, featureSize] row-major, once they are cached. */
export type FeaturesCallback = (features: Float32Array, featureSize: number) => void;

/** Task2Vec's stages in order: features (preprocessing on the way), the head, the Fisher, the embedding. */
function* pipeline<Done extends void | Promise<void>>(
  engine: Task2VecEngine<Done>,
  images: Pick<LabelledImages, 'id' | 'count'>,
  prepared: Prepared,
  onProgress: ProgressCallback | undefined,
  onFeatures: FeaturesCallback | undefined,
): Stage<Done, Task2VecEmbedding> {
  const { options } = prepared;
  const t0 = performance.now();
  const features = yield* featureStage(
    engine,
    images.count,
    options.batchSize,
    stageReporter('features', images.count, onProgress),
  );
  onFeatures?.(features, engine.featureSize);
  const t1 = performance.now();
  const head = fitHead(prepared, features, engine.featureSize, onProgress);
  const t2 = performance.now();
  let fisher: Float64Array;
  if (options.method === 'exact') {
    fisher = yield* exactStage(engine, images.count, head, stageReporter('fisher', images.count, onProgress));
  } else {
    const plan = fisherPlan(prepared);
    fisher = yield* montecarloStage(engine, head, plan, stageReporter('fisher', planTotal(plan), onProgress));
  }
  const t3 = performance.now();
  return assemble(prepared, images, engine.identity, fisher, {
    featuresMs: t1 - t0,
    classifierMs: t2 - t1,
    fisherMs: t3 - t2,
    preprocessMs: engine.preprocessMs(),
  });
}

/**
 * The Task2Vec embedding of a labelled dataset with a loaded probe, on this thread. Datasets
 * with fewer than two classes are refused. The caller keeps the probe.
 */
export function embed(
  probe: Probe,
  images: LabelledImages,
  optionsInput: Task2VecOptionsInput = {},
  onProgress?: ProgressCallback,
): Task2VecEmbedding {
  const prepared = prepare(images, optionsInput);
  const clock = { ms: 0 };
  const engine = localEngine(probe, timedInputs(images, probe.identity, clock), () => clock.ms);
  return runNow(pipeline(engine, images, prepared, onProgress, undefined));
}

export interface ParallelRun {
  /** Worker threads; default one per core. */
  readonly workers?: number;
  readonly onProgress?: ProgressCallback;
  /** Called with the cached features, so that other feature-based signals need no second pass. */
  readonly onFeatures?: FeaturesCallback;
}

/** The backend the workers should load: the one this process chose. */
function currentBackendChoice(): BackendChoice {
  const info = backendInfo();
  if (info !== null) return info.choice;
  const name = tf.getBackend();
  return name === 'wasm' || name === 'cpu' ? name : 'auto';
}

/**
 * The same embedding as `embed` with the probe loaded from a folder, its passes spread over
 * worker threads that each load their own copy of the probe and backend: under Node the wasm
 * backend runs one thread per module, so separate workers are how several cores are used. Only
 * the head is fitted on the calling thread.
 */
export async function embedParallel(
  source: ProbeSource,
  images: LabelledImages | StreamedImages,
  optionsInput: Task2VecOptionsInput = {},
  run: ParallelRun = {},
): Promise<Task2VecEmbedding> {
  const workers = run.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1)
    throw new RangeError(`workers must be a positive integer, got ${workers}`);
  const prepared = prepare(images, optionsInput);
  const engine = await poolEngine(source, asStream(images), workers, currentBackendChoice());
  try {
    return await runAwaiting(pipeline(engine, images, prepared, run.onProgress, run.onFeatures));
  } finally {
    await engine.close();
  }
}

/**
 * The probe's features of every image, the first stage of Task2Vec alone (same preprocessing,
 * same batches, same worker threads): what feature-based estimators need, in one forward pass.
 */
export async function probeFeatures(
  source: ProbeSource,
  images: LabelledImages | StreamedImages,
  batchSize: number,
  run: Omit<ParallelRun, 'onFeatures'> = {},
): Promise<{ features: Float32Array; featureSize: number; identity: ProbeIdentity }> {
  const workers = run.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1)
    throw new RangeError(`workers must be a positive integer, got ${workers}`);
  checkImages(images);
  const engine = await poolEngine(source, asStream(images), workers, currentBackendChoice());
  try {
    const features = await runAwaiting(
      featureStage(engine, images.count, batchSize, stageReporter('features', images.count, run.onProgress)),
    );
    return { features, featureSize: engine.featureSize, identity: engine.identity };
  } finally {
    await engine.close();
  }
}
