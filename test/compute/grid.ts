import * as tf from '@tensorflow/tfjs-core';

/** Deterministic values in [-1, 1): tests compare backends on identical inputs. */
export function seeded(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Runs one kernel on a named backend with fresh copies of the inputs and returns its values. */
export async function runOn(
  backend: string,
  kernel: string,
  inputs: Record<string, { shape: number[]; values: Float32Array }>,
  attrs: object,
): Promise<{ shape: number[]; values: Float32Array }> {
  await tf.setBackend(backend);
  const tensors: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) tensors[k] = tf.tensor(v.values, v.shape);
  const out = tf.engine().runKernel(kernel, tensors as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
  const values = (await out.data()) as Float32Array;
  const result = { shape: out.shape, values: Float32Array.from(values) };
  tf.dispose([out, ...Object.values(tensors)]);
  return result;
}

/** Largest absolute difference relative to the largest absolute reference value. */
export function relativeError(actual: Float32Array, expected: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs((actual[i] ?? NaN) - (expected[i] ?? NaN)));
    scale = Math.max(scale, Math.abs(expected[i] ?? 0));
  }
  if (Number.isNaN(diff)) return Infinity;
  return diff / Math.max(scale, 1e-12);
}
