import * as tf from '@tensorflow/tfjs-core';
import type { Probe, ProbeInput, ProbeWeight } from '../probes/probe.js';
import { classifierLogits, type Classifier } from './classifier.js';
import { sampleCategorical, type IndexSampler, type Rng } from './random.js';
import { valuesOf } from './tensors.js';

export type FisherMethod = 'montecarlo' | 'exact';
export const FISHER_METHODS: readonly FisherMethod[] = ['montecarlo', 'exact'];

/** Probe inputs (already preprocessed) for the given dataset indices; the caller disposes them. */
export type InputBatch = (indices: Int32Array) => ProbeInput;

export interface MontecarloOptions {
  /** Images drawn per epoch; with replacement. */
  readonly samples: number;
  readonly batchSize: number;
  readonly epochs: number;
}

export type FisherProgress = (done: number, total: number) => void;

export function embeddingLength(weights: readonly ProbeWeight[]): number {
  return weights.reduce((n, w) => n + w.filters, 0);
}

/**
 * Task2Vec's filter-wise reduction of squared gradients: the mean over all elements that feed
 * one output filter. Every probe layout keeps the filter index last ([kh,kw,in,out] kernels;
 * [kh,kw,in,mult] depthwise kernels, whose output channel is in*mult+m; [C] batch-norm gamma),
 * so a reshape to [-1, filters] lines the elements of one filter up in a column.
 */
export function filterwiseSquaredGradients(grads: readonly tf.Tensor[], weights: readonly ProbeWeight[]): tf.Tensor1D {
  return tf.tidy(() => {
    const parts = grads.map((g, i) => {
      const filters = weights[i]!.filters;
      return tf.mean(tf.reshape(tf.square(g), [-1, filters]), 0);
    });
    return tf.concat(parts) as tf.Tensor1D;
  });
}

function addInto(acc: Float64Array, values: ArrayLike<number>, weight: number): void {
  for (let i = 0; i < acc.length; i++) acc[i]! += weight * values[i]!;
}

/** Mean cross-entropy of the head over the batch for the given class indices. */
function crossEntropy(logits: tf.Tensor2D, targets: Int32Array, classCount: number): tf.Scalar {
  const picked = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor1d(targets, 'int32'), classCount)), 1);
  return tf.neg(tf.mean(picked)) as tf.Scalar;
}

/**
 * The reference's Monte Carlo Fisher: for each batch, labels are drawn from the model's own
 * predictive distribution p(y|x) (not the dataset's labels: the Fisher is an expectation under
 * the model), the batch-mean cross-entropy is back-propagated, and the squared gradient is
 * accumulated; the sum is divided by the number of batches. With a batch of one this is the
 * unbiased estimate of E_x E_{y~p(y|x)} (d log p(y|x)/dw)^2; with larger batches it is what the
 * reference and the cats-scans study computed (the square of a batch mean), which is smaller by
 * about the batch size, so only embeddings made with the same batch size compare.
 */
export function montecarloFisher(
  probe: Probe,
  inputs: InputBatch,
  head: Classifier,
  sampler: IndexSampler,
  rng: Rng,
  opts: MontecarloOptions,
  onProgress?: FisherProgress,
): Float64Array {
  const acc = new Float64Array(embeddingLength(probe.weights));
  const perEpoch = opts.samples < opts.batchSize ? 1 : Math.floor(opts.samples / opts.batchSize);
  const size = Math.min(opts.samples, opts.batchSize);
  const total = opts.epochs * perEpoch * size;
  let batches = 0;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const order = sampler(rng, perEpoch * size);
    for (let k = 0; k < perEpoch; k++) {
      const x = inputs(order.subarray(k * size, (k + 1) * size));
      try {
        let drawn: Int32Array | null = null;
        const loss = (features: tf.Tensor2D): tf.Scalar => {
          const logits = classifierLogits(features, head);
          // Drawn once, so a probe that evaluates the loss more than once sees the same labels.
          if (drawn === null) {
            const p = valuesOf(() => tf.softmax(logits));
            const labels = new Int32Array(size);
            for (let i = 0; i < size; i++) labels[i] = sampleCategorical(rng, p, i * head.classCount, head.classCount);
            drawn = labels;
          }
          return crossEntropy(logits, drawn, head.classCount);
        };
        const values = valuesOf(() => filterwiseSquaredGradients(probe.gradients(x, loss), probe.weights));
        addInto(acc, values, 1);
      } finally {
        x.dispose();
      }
      batches += 1;
      onProgress?.(batches * size, total);
    }
  }
  for (let i = 0; i < acc.length; i++) acc[i]! /= batches;
  return acc;
}

/** p(y|x) for every input, forward passes only, in batches. */
function predictiveDistribution(probe: Probe, inputs: InputBatch, count: number, head: Classifier, batchSize: number): Float32Array {
  const out = new Float32Array(count * head.classCount);
  for (let start = 0; start < count; start += batchSize) {
    const indices = Int32Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i);
    const x = inputs(indices);
    try {
      out.set(valuesOf(() => tf.softmax(classifierLogits(probe.features(x), head))), start * head.classCount);
    } finally {
      x.dispose();
    }
  }
  return out;
}

/**
 * The exact diagonal Fisher over a set of inputs: F = mean_x sum_y p(y|x) (d log p(y|x)/dw)^2.
 * One backward pass per input and class (the square does not distribute over a sum of
 * examples, so inputs cannot share a pass). Slow; for tests and small datasets.
 */
export function exactFisher(
  probe: Probe,
  inputs: InputBatch,
  count: number,
  head: Classifier,
  batchSize: number,
  onProgress?: FisherProgress,
): Float64Array {
  const classes = head.classCount;
  const p = predictiveDistribution(probe, inputs, count, head, batchSize);
  const acc = new Float64Array(embeddingLength(probe.weights));
  for (let i = 0; i < count; i++) {
    const x = inputs(Int32Array.of(i));
    try {
      for (let y = 0; y < classes; y++) {
        const loss = (features: tf.Tensor2D): tf.Scalar => crossEntropy(classifierLogits(features, head), Int32Array.of(y), classes);
        const values = valuesOf(() => filterwiseSquaredGradients(probe.gradients(x, loss), probe.weights));
        addInto(acc, values, p[i * classes + y]!);
      }
    } finally {
      x.dispose();
    }
    onProgress?.(i + 1, count);
  }
  for (let i = 0; i < acc.length; i++) acc[i]! /= count;
  return acc;
}
