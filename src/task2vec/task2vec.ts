/**
 * Task2Vec (Achille et al., 2019), following the reference implementation: preprocess the
 * images for the probe, cache the probe's features, fit a classifier head on them, estimate the
 * diagonal Fisher information of the probe's weights under that head, and reduce it per filter.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Probe, ProbeInput } from '../probes/probe.js';
import { fitClassifier, initClassifier, type Classifier } from './classifier.js';
import type { Task2VecEmbedding } from './embedding.js';
import { exactFisher, montecarloFisher, type InputBatch } from './fisher.js';
import { checkLabelledImages, indexClasses, type LabelledImages } from './images.js';
import { resolveOptions, type Task2VecOptions, type Task2VecOptionsInput } from './options.js';
import { preprocess } from './preprocess.js';
import { valuesOf } from './tensors.js';
import { classBalancedSampler, createRng, deriveSeed, uniformSampler } from './random.js';

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

function stageReporter(stage: Task2VecStage, onProgress: ProgressCallback | undefined): (done: number, total: number) => void {
  const start = performance.now();
  return (done, total) => {
    if (!onProgress) return;
    const seconds = (performance.now() - start) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    onProgress({ stage, done, total, imagesPerSecond: rate, etaSeconds: rate > 0 ? (total - done) / rate : 0 });
  };
}

/** Preprocessing on demand, timed apart: images stay uint8 until a batch needs them. */
function timedInputs(images: LabelledImages, probe: Probe, clock: { ms: number }): InputBatch {
  return (indices) => {
    const t0 = performance.now();
    const x: ProbeInput = preprocess(images, indices, probe.identity);
    clock.ms += performance.now() - t0;
    return x;
  };
}

/** The probe's features of every image, forward passes only; [count, featureSize] row-major. */
export function cacheFeatures(probe: Probe, inputs: InputBatch, count: number, batchSize: number, report?: (done: number, total: number) => void): Float32Array {
  const out = new Float32Array(count * probe.featureSize);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const x = inputs(Int32Array.from({ length: n }, (_, i) => start + i));
    try {
      out.set(valuesOf(() => probe.features(x)), start * probe.featureSize);
    } finally {
      x.dispose();
    }
    report?.(start + n, count);
  }
  return out;
}

/**
 * The Task2Vec embedding of a labelled dataset with a probe. Deterministic for a given dataset,
 * probe, options (seed included) and tf backend. Datasets with fewer than two classes are refused.
 */
export function embed(probe: Probe, images: LabelledImages, optionsInput: Task2VecOptionsInput = {}, onProgress?: ProgressCallback): Task2VecEmbedding {
  const started = performance.now();
  const options: Task2VecOptions = resolveOptions(optionsInput);
  checkLabelledImages(images);
  const classes = indexClasses(images);
  const preprocessClock = { ms: 0 };
  const inputs = timedInputs(images, probe, preprocessClock);
  const sampler = options.balanced ? classBalancedSampler(classes.labels, classes.classCount) : uniformSampler(images.count);

  const t0 = performance.now();
  const features = cacheFeatures(probe, inputs, images.count, options.batchSize, stageReporter('features', onProgress));
  const featuresMs = performance.now() - t0;
  const featuresPreprocessMs = preprocessClock.ms;

  const t1 = performance.now();
  const head: Classifier = fitClassifier(
    features,
    probe.featureSize,
    classes.labels,
    initClassifier(probe.featureSize, classes.classCount, createRng(deriveSeed(options.seed, 'classifier-init'))),
    sampler,
    createRng(deriveSeed(options.seed, 'classifier-batches')),
    { ...options.classifier, batchSize: options.batchSize, samples: options.samples },
    stageReporter('classifier', onProgress),
  );
  const classifierMs = performance.now() - t1;

  const t2 = performance.now();
  const fisherReport = stageReporter('fisher', onProgress);
  const fisher =
    options.method === 'exact'
      ? exactFisher(probe, inputs, images.count, head, options.batchSize, fisherReport)
      : montecarloFisher(
          probe,
          inputs,
          head,
          sampler,
          createRng(deriveSeed(options.seed, 'fisher')),
          { samples: options.samples, batchSize: options.batchSize, epochs: options.fisherEpochs },
          fisherReport,
        );
  const fisherMs = performance.now() - t2;

  const hessian = Float32Array.from(fisher);
  return {
    hessian,
    scale: new Float32Array(hessian.length).fill(1),
    probe: probe.identity,
    method: options.method,
    options,
    dataset: images.id,
    imageCount: images.count,
    classCount: classes.classCount,
    backend: tf.getBackend(),
    durationMs: performance.now() - started,
    stages: {
      preprocessMs: preprocessClock.ms,
      featuresMs: featuresMs - featuresPreprocessMs,
      classifierMs,
      fisherMs: fisherMs - (preprocessClock.ms - featuresPreprocessMs),
    },
  };
}
