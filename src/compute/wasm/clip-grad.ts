import type * as tf from '@tensorflow/tfjs-core';
import { alloc, heap, type Wasm } from './backend-ops.js';

/** Kernel name for the input gradient of clipByValue; registered for wasm only. */
export const CLIP_GRAD_KERNEL = 'TransferAtlasClipByValueGrad';

export interface ClipGradAttrs {
  readonly clipValueMin: number;
  readonly clipValueMax: number;
}

/**
 * dy where min <= x <= max, else 0 (tfjs' inclusive convention). Done on the bit patterns with a
 * branch-free mask: the comparisons are data-dependent and unpredictable, and tfjs' composition
 * (two comparisons, a logical and, a zeros tensor and a select) costs five passes.
 */
export function maskedCopy(x: Float32Array, dy: Float32Array, lo: number, hi: number, out: Float32Array): void {
  const dyBits = new Uint32Array(dy.buffer, dy.byteOffset, dy.length);
  const outBits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    const inside = (v >= lo ? 1 : 0) & (v <= hi ? 1 : 0);
    outBits[i] = (dyBits[i] as number) & -inside;
  }
}

export function clipByValueGrad(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: Wasm;
  attrs: ClipGradAttrs;
}): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const dy = inputs.dy as tf.TensorInfo;
  const x = inputs.x as tf.TensorInfo;
  const out = alloc(backend, x.shape);
  maskedCopy(heap(backend, x), heap(backend, dy), attrs.clipValueMin, attrs.clipValueMax, heap(backend, out));
  return out;
}
