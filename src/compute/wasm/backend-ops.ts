import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Thin access to the wasm backend from inside a kernel: other kernels are called directly
 * (not through tf ops, which would create engine-tracked tensors mid-kernel) and every
 * intermediate is released with `release`.
 */
export type Wasm = BackendWasm;

export function runKernel(
  backend: Wasm,
  name: string,
  inputs: Record<string, tf.TensorInfo>,
  attrs: object = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (kernel === undefined) throw new Error(`wasm kernel ${name} is not registered`);
  const out = kernel.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap });
  if (Array.isArray(out)) throw new Error(`wasm kernel ${name} returned several outputs`);
  return out;
}

/** The same buffer under another shape; never released separately from its owner. */
export function view(t: tf.TensorInfo, shape: readonly number[]): tf.TensorInfo {
  return { dataId: t.dataId, dtype: t.dtype, shape: [...shape] };
}

export function alloc(backend: Wasm, shape: readonly number[]): tf.TensorInfo {
  return backend.makeOutput([...shape], 'float32');
}

/**
 * A Float32Array over the wasm heap. Any later allocation may grow (and so detach) the heap:
 * take views after the last allocation that precedes their use.
 */
export function heap(backend: Wasm, t: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

export function release(backend: Wasm, ...ts: tf.TensorInfo[]): void {
  for (const t of ts) backend.disposeData(t.dataId);
}

export function matMul(backend: Wasm, a: tf.TensorInfo, b: tf.TensorInfo, transposeB = false): tf.TensorInfo {
  return runKernel(backend, tf.BatchMatMul, { a, b }, { transposeA: false, transposeB });
}

/** Byte offset of a tensor's buffer in the wasm heap. */
export function pointer(backend: Wasm, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)?.memoryOffset ?? -1;
}

/** The module's linear memory, shared with the SIMD loops. */
export function memoryOf(backend: Wasm): WebAssembly.Memory {
  return (backend.wasm as unknown as { asm: { memory: WebAssembly.Memory } }).asm.memory;
}
