import * as tf from '@tensorflow/tfjs-core';
import type { Probe, ProbeInput, ProbeWeight } from '../probes/index.js';
import { batchesPerEpoch, classifierLogits, type Classifier } from './classifier.js';
import { createRng, deriveSeed, sampleCategorical, type IndexSampler, type Rng } from './random.js';
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

/** Mean cross-entropy of the head over the batch for the given class indices. */
function crossEntropy(logits: tf.Tensor2D, targets: Int32Array, classCount: number): tf.Scalar {
  const picked = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor1d(targets, 'int32'), classCount)), 1);
  return tf.neg(tf.mean(picked)) as tf.Scalar;
}

/**
 * The Monte Carlo plan: which images each batch holds and the seed its labels are drawn with.
 * Each batch has its own label stream, so batches can run in any order, or in other threads,
 * and still give the same embedding.
 */
export interface MontecarloPlan {
  readonly batches: readonly Int32Array[];
  readonly labelSeeds: Uint32Array;
}

/**
 * Batches as the reference's loader makes them: per epoch, `samples` draws of the sampler cut
 * into batches, a final partial batch dropped (at least one batch, of all samples, is kept).
 */
export function planMontecarlo(sampler: IndexSampler, rng: Rng, seed: number, opts: MontecarloOptions): MontecarloPlan {
  const { batches: perEpoch, size } = batchesPerEpoch(opts.samples, opts.batchSize);
  const batches: Int32Array[] = [];
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const order = sampler(rng, perEpoch * size);
    for (let k = 0; k < perEpoch; k++) batches.push(order.slice(k * size, (k + 1) * size));
  }
  const labelSeeds = Uint32Array.from(batches, (_, k) => deriveSeed(seed, `fisher-labels-${k}`));
  return { batches, labelSeeds };
}

/**
 * Pixels of input that one pass through the probe may hold. The gradient tape of the default
 * probe keeps about 48 MB per 224 px image, and a wasm heap never shrinks once grown, in every
 * worker; 8 images at 224 px (43 at 96 px) keep each worker's heap near 400 MB, so that a
 * two-worker embedding of thousands of images stays well under 1.5 GB.
 */
const PIXELS_PER_BACKWARD_PASS = 8 * 224 * 224;

/** The micro-batch a batch is split into; fixed by the input size, so embeddings stay reproducible. */
export function microBatchSize(inputHeight: number, inputWidth: number): number {
  return Math.max(1, Math.floor(PIXELS_PER_BACKWARD_PASS / (inputHeight * inputWidth)));
}

/**
 * One batch of the reference's Monte Carlo Fisher: labels drawn from the model's own predictive
 * distribution p(y|x) (not the dataset's labels: the Fisher is an expectation under the model),
 * the batch-mean cross-entropy back-propagated, and its gradient squared and reduced per filter.
 * The batch-mean gradient is the size-weighted sum of micro-batch mean gradients, so it is built
 * micro-batch by micro-batch and squared only once complete: the same estimator, in bounded memory.
 */
export function montecarloBatch(
  probe: Probe,
  x: ProbeInput,
  head: Classifier,
  labelSeed: number,
  micro = microBatchSize(x.shape[1], x.shape[2]),
): Float32Array {
  const size = x.shape[0];
  // One draw per input, in input order, so the labels do not depend on how the batch is split.
  const rng = createRng(labelSeed);
  let summed: tf.Tensor[] | null = null;
  try {
    for (let start = 0; start < size; start += micro) {
      const n = Math.min(micro, size - start);
      let drawn: Int32Array | null = null;
      const loss = (features: tf.Tensor2D): tf.Scalar => {
        const logits = classifierLogits(features, head);
        // Drawn once, so a probe that evaluates the loss more than once sees the same labels.
        if (drawn === null) {
          const p = valuesOf(() => tf.softmax(logits));
          const labels = new Int32Array(n);
          for (let i = 0; i < n; i++) labels[i] = sampleCategorical(rng, p, i * head.classCount, head.classCount);
          drawn = labels;
        }
        return tf.mul(crossEntropy(logits, drawn, head.classCount), n / size) as tf.Scalar;
      };
      const grads =
        n === size
          ? probe.gradients(x, loss)
          : tf.tidy(() => probe.gradients(tf.slice(x, [start, 0, 0, 0], [n, -1, -1, -1]), loss));
      if (summed === null) summed = grads;
      else {
        const previous: tf.Tensor[] = summed;
        summed = tf.tidy(() => previous.map((g, i) => tf.add(g, grads[i]!)));
        tf.dispose([...previous, ...grads]);
      }
    }
    const complete: tf.Tensor[] = summed!;
    return valuesOf(() => filterwiseSquaredGradients(complete, probe.weights));
  } finally {
    if (summed !== null) tf.dispose(summed);
  }
}

/**
 * One input's term of the exact Fisher: sum_y p(y|x) (d log p(y|x)/dw)^2, reduced per filter.
 * One backward pass per class: the square does not distribute over a sum, so neither classes
 * nor inputs can share a pass. `x` holds a single image.
 */
export function exactExample(probe: Probe, x: ProbeInput, head: Classifier): Float32Array {
  const classes = head.classCount;
  const p = valuesOf(() => tf.softmax(classifierLogits(probe.features(x), head)));
  const acc = new Float64Array(embeddingLength(probe.weights));
  for (let y = 0; y < classes; y++) {
    const loss = (features: tf.Tensor2D): tf.Scalar =>
      crossEntropy(classifierLogits(features, head), Int32Array.of(y), classes);
    const values = valuesOf(() => filterwiseSquaredGradients(probe.gradients(x, loss), probe.weights));
    for (let i = 0; i < acc.length; i++) acc[i]! += p[y]! * values[i]!;
  }
  return Float32Array.from(acc);
}

/**
 * Adds per-unit vectors (one per batch or per input) in unit order and divides by their number,
 * so that the float64 sum is the same however the units were computed.
 */
export class OrderedMean {
  private readonly acc: Float64Array;
  private readonly pending = new Map<number, Float32Array>();
  private next = 0;

  constructor(
    length: number,
    private readonly units: number,
  ) {
    this.acc = new Float64Array(length);
  }

  add(unit: number, values: Float32Array): void {
    this.pending.set(unit, values);
    for (let v = this.pending.get(this.next); v !== undefined; v = this.pending.get(this.next)) {
      for (let i = 0; i < this.acc.length; i++) this.acc[i]! += v[i]!;
      this.pending.delete(this.next);
      this.next += 1;
    }
  }

  result(): Float64Array {
    if (this.next !== this.units) throw new Error(`Fisher accumulation has ${this.next} of ${this.units} units`);
    return this.acc.map((v) => v / this.units);
  }
}
