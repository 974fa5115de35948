import type * as tf from '@tensorflow/tfjs-core';
import { alloc, heap, memoryOf, pointer, release, type Wasm } from './backend-ops.js';
import { simdLoops } from './simd/loops.js';

/** Kernel name for the per-channel sums a batch-norm gradient needs; registered for wasm only. */
export const BATCH_NORM_STATS_KERNEL = 'TransferAtlasBatchNormGradStats';

function channelVector(backend: Wasm, t: tf.TensorInfo | undefined, channels: number): Float32Array | null | undefined {
  if (t == null) return null;
  if (t.shape.length !== 1 || t.shape[0] !== channels || t.dtype !== 'float32') return undefined;
  return heap(backend, t);
}

/**
 * Inference-mode batch norm as one per-channel affine pass, y = x * a + b with
 * a = scale / sqrt(variance + eps) and b = offset - mean * a. wasm's own kernel takes several
 * times longer on NHWC activations. Anything but per-channel parameters goes to the stock kernel.
 */
export function makeFusedBatchNorm(fallback: tf.KernelFunc) {
  return (args: {
    inputs: tf.NamedTensorInfoMap;
    backend: Wasm;
    attrs: { varianceEpsilon: number };
  }): tf.TensorInfo => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as tf.TensorInfo;
    const c = x.shape[x.shape.length - 1] ?? 0;
    const out = alloc(backend, x.shape);
    const mean = channelVector(backend, inputs.mean, c);
    const variance = channelVector(backend, inputs.variance, c);
    const scale = channelVector(backend, inputs.scale, c);
    const offset = channelVector(backend, inputs.offset, c);
    if (x.dtype !== 'float32' || c === 0 || !mean || !variance || scale === undefined || offset === undefined) {
      backend.disposeData(out.dataId);
      return fallback(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    }
    const a = new Float32Array(c);
    const b = new Float32Array(c);
    for (let ch = 0; ch < c; ch++) {
      const gain =
        (scale === null ? 1 : (scale[ch] as number)) / Math.sqrt((variance[ch] as number) + attrs.varianceEpsilon);
      a[ch] = gain;
      b[ch] = (offset === null ? 0 : (offset[ch] as number)) - (mean[ch] as number) * gain;
    }
    const loops = c % 4 === 0 ? simdLoops(memoryOf(backend)) : null;
    if (loops === null) {
      affinePerChannel(heap(backend, x), a, b, heap(backend, out));
      return out;
    }
    const ab = alloc(backend, [2, c]);
    const abView = heap(backend, ab);
    abView.set(a, 0);
    abView.set(b, c);
    const pixels = heap(backend, x).length / c;
    loops.batchNormAct(
      pointer(backend, x),
      pointer(backend, out),
      pointer(backend, ab),
      pixels,
      c * 4,
      -Infinity,
      Infinity,
    );
    release(backend, ab);
    return out;
  };
}

export function affinePerChannel(x: Float32Array, a: Float32Array, b: Float32Array, out: Float32Array): void {
  const c = a.length;
  for (let i = 0; i < x.length; i += c) {
    for (let ch = 0; ch < c; ch++) out[i + ch] = (x[i + ch] as number) * (a[ch] as number) + (b[ch] as number);
  }
}

/** Per channel: [sum of dy, sum of dy * (x - mean)], accumulated in double precision. */
export function batchNormGradSums(dy: Float32Array, x: Float32Array, mean: Float32Array, out: Float32Array): void {
  const c = mean.length;
  const sumDy = new Float64Array(c);
  const sumDyCentred = new Float64Array(c);
  for (let i = 0; i < x.length; i += c) {
    for (let ch = 0; ch < c; ch++) {
      const g = dy[i + ch] as number;
      sumDy[ch] = (sumDy[ch] as number) + g;
      sumDyCentred[ch] = (sumDyCentred[ch] as number) + g * ((x[i + ch] as number) - (mean[ch] as number));
    }
  }
  out.set(sumDy, 0);
  out.set(sumDyCentred, c);
}

export function batchNormGradStats(args: { inputs: tf.NamedTensorInfoMap; backend: Wasm }): tf.TensorInfo {
  const { inputs, backend } = args;
  const mean = inputs.mean as tf.TensorInfo;
  const c = mean.shape[0] ?? 0;
  const out = alloc(backend, [2, c]);
  batchNormGradSums(
    heap(backend, inputs.dy as tf.TensorInfo),
    heap(backend, inputs.x as tf.TensorInfo),
    heap(backend, mean),
    heap(backend, out),
  );
  return out;
}
