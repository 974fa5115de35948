import * as tf from '@tensorflow/tfjs-core';
import type { IndexSampler, Rng } from './random.js';

/** The task-specific head on top of the probe's features: softmax regression, logits = x W + b. */
export interface Classifier {
  readonly featureSize: number;
  readonly classCount: number;
  /** [featureSize, classCount], row-major. */
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
}

export interface ClassifierOptions {
  readonly epochs: number;
  readonly learningRate: number;
  /** L2 penalty added to the gradient, as torch.optim.Adam's weight_decay (not decoupled). */
  readonly weightDecay: number;
  readonly batchSize: number;
  /** Images drawn (with replacement) per epoch. */
  readonly samples: number;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

/** torch.nn.Linear's default initialisation: uniform in +-1/sqrt(fan_in), for weights and bias. */
export function initClassifier(featureSize: number, classCount: number, rng: Rng): Classifier {
  const bound = 1 / Math.sqrt(featureSize);
  const draw = (n: number): Float32Array => Float32Array.from({ length: n }, () => (2 * rng.next() - 1) * bound);
  return { featureSize, classCount, kernel: draw(featureSize * classCount), bias: draw(classCount) };
}

/** The classifier as tensors, for use inside a caller's tidy. */
export function classifierLogits(features: tf.Tensor2D, head: Classifier): tf.Tensor2D {
  const kernel = tf.tensor2d(head.kernel, [head.featureSize, head.classCount]);
  const bias = tf.tensor1d(head.bias);
  return tf.add(tf.matMul(features, kernel), bias);
}

/**
 * Batches per epoch: like the reference's loader with drop_last, a final partial batch is
 * dropped, but an epoch smaller than one batch still makes one batch of all its samples.
 */
export function batchesPerEpoch(samples: number, batchSize: number): { batches: number; size: number } {
  if (samples < batchSize) return { batches: 1, size: samples };
  return { batches: Math.floor(samples / batchSize), size: batchSize };
}

type AdamState = {
  w: tf.Tensor;
  b: tf.Tensor;
  mw: tf.Tensor;
  vw: tf.Tensor;
  mb: tf.Tensor;
  vb: tf.Tensor;
};

function adamStep(
  param: tf.Tensor,
  grad: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  step: number,
  opts: ClassifierOptions,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const g = tf.add(grad, tf.mul(param, opts.weightDecay));
  const m1 = tf.add(tf.mul(m, BETA1), tf.mul(g, 1 - BETA1));
  const v1 = tf.add(tf.mul(v, BETA2), tf.mul(tf.square(g), 1 - BETA2));
  const mHat = tf.div(m1, 1 - BETA1 ** step);
  const vHat = tf.div(v1, 1 - BETA2 ** step);
  const p1 = tf.sub(param, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), EPSILON)), opts.learningRate));
  return [p1, m1, v1];
}

/**
 * Fits the head on cached features by minimising the mean cross-entropy with Adam, on batches
 * drawn by `sampler` (class-balanced in Task2Vec). The gradient of softmax regression has a
 * closed form, (softmax - onehot) / B, so no tape is needed.
 */
export function fitClassifier(
  features: Float32Array,
  featureSize: number,
  labels: Int32Array,
  initial: Classifier,
  sampler: IndexSampler,
  rng: Rng,
  opts: ClassifierOptions,
  onBatch?: (samplesDone: number, samplesTotal: number) => void,
): Classifier {
  const count = labels.length;
  const { classCount } = initial;
  const { batches, size } = batchesPerEpoch(opts.samples, opts.batchSize);
  const total = opts.epochs * batches * size;
  const x = tf.tensor2d(features, [count, featureSize]);
  let state: AdamState = {
    w: tf.tensor2d(initial.kernel, [featureSize, classCount]),
    b: tf.tensor1d(initial.bias),
    mw: tf.zeros([featureSize, classCount]),
    vw: tf.zeros([featureSize, classCount]),
    mb: tf.zeros([classCount]),
    vb: tf.zeros([classCount]),
  };
  try {
    let step = 0;
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      const order = sampler(rng, batches * size);
      for (let k = 0; k < batches; k++) {
        step += 1;
        const picked = order.subarray(k * size, (k + 1) * size);
        const chosenLabels = Int32Array.from(picked, (i) => labels[i]!);
        const next: AdamState = tf.tidy((): AdamState => {
          const xb = tf.gather(x, tf.tensor1d(picked, 'int32'));
          const p = tf.softmax(tf.add(tf.matMul(xb, state.w), state.b));
          const d = tf.div(tf.sub(p, tf.oneHot(tf.tensor1d(chosenLabels, 'int32'), classCount)), size);
          const gw = tf.matMul(xb, d, true, false);
          const gb = tf.sum(d, 0);
          const [w, mw, vw] = adamStep(state.w, gw, state.mw, state.vw, step, opts);
          const [b, mb, vb] = adamStep(state.b, gb, state.mb, state.vb, step, opts);
          return { w, b, mw, vw, mb, vb };
        }) as AdamState;
        tf.dispose(Object.values(state));
        state = next;
        onBatch?.(step * size, total);
      }
    }
    return {
      featureSize,
      classCount,
      kernel: Float32Array.from(state.w.dataSync()),
      bias: Float32Array.from(state.b.dataSync()),
    };
  } finally {
    tf.dispose([x, ...Object.values(state)]);
  }
}
