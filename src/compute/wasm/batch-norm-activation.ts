import type * as tf from '@tensorflow/tfjs-core';
import { alloc, heap, type Wasm } from './backend-ops.js';

export const BATCH_NORM_ACT_KERNEL = 'TransferAtlasBatchNormActivation';
export const BATCH_NORM_ACT_GRAD_KERNEL = 'TransferAtlasBatchNormActivationGrad';

interface Attrs {
  readonly epsilon: number;
  readonly lower: number;
  readonly upper: number;
}

interface Affine {
  readonly a: Float32Array;
  readonly b: Float32Array;
  readonly invStd: Float64Array;
  readonly mean: Float32Array;
}

// Clamps and masks go through Math.min/Math.max, which compile to branch-free instructions:
// the comparisons depend on the data and mispredicted branches cost more than the arithmetic.

/** z = x * a + b per channel, with a = gamma / sqrt(var + eps) and b = beta - mean * a. */
function affine(backend: Wasm, inputs: tf.NamedTensorInfoMap, epsilon: number): Affine {
  const mean = heap(backend, inputs.mean as tf.TensorInfo);
  const variance = heap(backend, inputs.variance as tf.TensorInfo);
  const scale = heap(backend, inputs.scale as tf.TensorInfo);
  const offset = inputs.offset === undefined ? null : heap(backend, inputs.offset);
  const c = mean.length;
  const a = new Float32Array(c);
  const b = new Float32Array(c);
  const invStd = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    const s = 1 / Math.sqrt((variance[ch] as number) + epsilon);
    invStd[ch] = s;
    a[ch] = (scale[ch] as number) * s;
    b[ch] = (offset === null ? 0 : (offset[ch] as number)) - (mean[ch] as number) * (a[ch] as number);
  }
  return { a, b, invStd, mean: Float32Array.from(mean) };
}

export function normaliseAndClamp(x: Float32Array, a: Float32Array, b: Float32Array, lower: number, upper: number, out: Float32Array): void {
  const c = a.length;
  for (let i = 0; i < x.length; i += c) {
    for (let ch = 0; ch < c; ch++) {
      const z = (x[i + ch] as number) * (a[ch] as number) + (b[ch] as number);
      out[i + ch] = Math.min(Math.max(z, lower), upper);
    }
  }
}

/**
 * One pass: where lower < z <= upper the upstream gradient goes through; dx = that * a, and
 * dGamma = sum of that * (x - mean) / sqrt(var + eps), accumulated in double precision.
 */
export function normaliseAndClampGrad(
  dy: Float32Array,
  x: Float32Array,
  f: Affine,
  lower: number,
  upper: number,
  dx: Float32Array,
  dGamma: Float32Array,
): void {
  const { a, b, mean, invStd } = f;
  const c = a.length;
  const acc = new Float64Array(c);
  for (let i = 0; i < x.length; i += c) {
    for (let ch = 0; ch < c; ch++) {
      const xv = x[i + ch] as number;
      const z = xv * (a[ch] as number) + (b[ch] as number);
      const inside = Math.min(Math.max(z, lower), upper) === z && z !== lower;
      const g = inside ? (dy[i + ch] as number) : 0;
      dx[i + ch] = g * (a[ch] as number);
      acc[ch] = (acc[ch] as number) + g * (xv - (mean[ch] as number));
    }
  }
  for (let ch = 0; ch < c; ch++) dGamma[ch] = (acc[ch] as number) * (invStd[ch] as number);
}

export function batchNormActivation(args: { inputs: tf.NamedTensorInfoMap; backend: Wasm; attrs: Attrs }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as tf.TensorInfo;
  const out = alloc(backend, x.shape);
  const f = affine(backend, inputs, attrs.epsilon);
  normaliseAndClamp(heap(backend, x), f.a, f.b, attrs.lower, attrs.upper, heap(backend, out));
  return out;
}

export function batchNormActivationGrad(args: { inputs: tf.NamedTensorInfoMap; backend: Wasm; attrs: Attrs }): tf.TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as tf.TensorInfo;
  const dx = alloc(backend, x.shape);
  const dGamma = alloc(backend, [x.shape[x.shape.length - 1] ?? 0]);
  const f = affine(backend, inputs, attrs.epsilon);
  normaliseAndClampGrad(heap(backend, inputs.dy as tf.TensorInfo), heap(backend, x), f, attrs.lower, attrs.upper, heap(backend, dx), heap(backend, dGamma));
  return [dx, dGamma];
}
