import type * as tf from '@tensorflow/tfjs-core';
import { alloc, heap, memoryOf, pointer, release, type Wasm } from './backend-ops.js';
import { simdLoops } from './simd/loops.js';

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

export function normaliseAndClamp(
  x: Float32Array,
  a: Float32Array,
  b: Float32Array,
  lower: number,
  upper: number,
  out: Float32Array,
): void {
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

/** a then b, copied into the heap for the SIMD loop. */
function affineInHeap(backend: Wasm, f: Affine): tf.TensorInfo {
  const ab = alloc(backend, [2, f.a.length]);
  const view = heap(backend, ab);
  view.set(f.a, 0);
  view.set(f.b, f.a.length);
  return ab;
}

export function batchNormActivation(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: Wasm;
  attrs: Attrs;
}): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as tf.TensorInfo;
  const out = alloc(backend, x.shape);
  const f = affine(backend, inputs, attrs.epsilon);
  const c = f.a.length;
  const loops = c % 4 === 0 ? simdLoops(memoryOf(backend)) : null;
  if (loops === null) {
    normaliseAndClamp(heap(backend, x), f.a, f.b, attrs.lower, attrs.upper, heap(backend, out));
    return out;
  }
  const ab = affineInHeap(backend, f);
  const pixels = heap(backend, x).length / c;
  loops.batchNormAct(
    pointer(backend, x),
    pointer(backend, out),
    pointer(backend, ab),
    pixels,
    c * 4,
    attrs.lower,
    attrs.upper,
  );
  release(backend, ab);
  return out;
}

/** Pixels per SIMD call in the gradient: float32 partial sums stay short before joining the float64 total. */
const GRAD_CHUNK = 128;

export function batchNormActivationGrad(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: Wasm;
  attrs: Attrs;
}): tf.TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const c = x.shape[x.shape.length - 1] ?? 0;
  const dx = alloc(backend, x.shape);
  const dGamma = alloc(backend, [c]);
  const f = affine(backend, inputs, attrs.epsilon);
  const loops = c % 4 === 0 ? simdLoops(memoryOf(backend)) : null;
  if (loops === null) {
    normaliseAndClampGrad(
      heap(backend, dy),
      heap(backend, x),
      f,
      attrs.lower,
      attrs.upper,
      heap(backend, dx),
      heap(backend, dGamma),
    );
    return [dx, dGamma];
  }
  const ab = affineInHeap(backend, f);
  const mean = alloc(backend, [c]);
  const partial = alloc(backend, [c]);
  heap(backend, mean).set(f.mean);
  const pixels = heap(backend, x).length / c;
  const total = new Float64Array(c);
  const [pDy, pX, pDx, pAb, pMean, pPartial] = [dy, x, dx, ab, mean, partial].map((t) => pointer(backend, t)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const cbytes = c * 4;
  for (let p0 = 0; p0 < pixels; p0 += GRAD_CHUNK) {
    const n = Math.min(GRAD_CHUNK, pixels - p0);
    const sums = heap(backend, partial);
    sums.fill(0);
    const off = p0 * cbytes;
    loops.batchNormActGrad(pDy + off, pX + off, pDx + off, pAb, pMean, pPartial, n, cbytes, attrs.lower, attrs.upper);
    for (let ch = 0; ch < c; ch++) total[ch] = (total[ch] as number) + (sums[ch] as number);
  }
  const out = heap(backend, dGamma);
  for (let ch = 0; ch < c; ch++) out[ch] = (total[ch] as number) * (f.invStd[ch] as number);
  release(backend, ab, mean, partial);
  return [dx, dGamma];
}
