import * as tf from '@tensorflow/tfjs-core';
import { slice_util } from '@tensorflow/tfjs-core';
import { alloc, heap, type Wasm } from './backend-ops.js';

/**
 * Copies the box `size` at `srcStart` of a row-major array into `dst` at `dstStart`, one
 * TypedArray.set (a memmove) per contiguous run: the trailing dimensions the box spans fully
 * fold into the run. wasm's own Slice and Pad walk element by element.
 */
export function copyBox(
  src: Float32Array,
  srcShape: readonly number[],
  srcStart: readonly number[],
  dst: Float32Array,
  dstShape: readonly number[],
  dstStart: readonly number[],
  size: readonly number[],
): void {
  const rank = size.length;
  if (size.some((s) => s === 0)) return;
  let k = rank - 1;
  let run = size[k] as number;
  while (k > 0 && size[k] === srcShape[k] && size[k] === dstShape[k]) {
    k--;
    run *= size[k] as number;
  }
  const stride = (shape: readonly number[]): number[] => {
    const s = new Array<number>(rank).fill(1);
    for (let d = rank - 2; d >= 0; d--) s[d] = (s[d + 1] as number) * (shape[d + 1] as number);
    return s;
  };
  const ss = stride(srcShape);
  const ds = stride(dstShape);
  const index = new Array<number>(k).fill(0);
  for (;;) {
    let so = 0;
    let dOff = 0;
    for (let d = 0; d < rank; d++) {
      const i = d < k ? (index[d] as number) : 0;
      so += ((srcStart[d] as number) + i) * (ss[d] as number);
      dOff += ((dstStart[d] as number) + i) * (ds[d] as number);
    }
    dst.set(src.subarray(so, so + run), dOff);
    let d = k - 1;
    while (d >= 0) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (size[d] as number)) break;
      index[d] = 0;
      d--;
    }
    if (d < 0) return;
  }
}

export function makeSlice(fallback: tf.KernelFunc) {
  return (args: {
    inputs: tf.NamedTensorInfoMap;
    backend: Wasm;
    attrs: { begin: number | number[]; size: number | number[] };
  }): tf.TensorInfo => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype !== 'float32') return fallback(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    const [begin, size] = slice_util.parseSliceParams(x as unknown as tf.Tensor, attrs.begin, attrs.size) as [
      number[],
      number[],
    ];
    const out = alloc(backend, size);
    copyBox(
      heap(backend, x),
      x.shape,
      begin,
      heap(backend, out),
      size,
      size.map(() => 0),
      size,
    );
    return out;
  };
}

export function makePad(fallback: tf.KernelFunc) {
  return (args: {
    inputs: tf.NamedTensorInfoMap;
    backend: Wasm;
    attrs: { paddings: [number, number][]; constantValue: number };
  }): tf.TensorInfo => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype !== 'float32') return fallback(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    const before = attrs.paddings.map((p) => p[0]);
    const outShape = attrs.paddings.map((p, i) => p[0] + (x.shape[i] as number) + p[1]);
    const out = alloc(backend, outShape);
    const dst = heap(backend, out);
    dst.fill(attrs.constantValue);
    copyBox(
      heap(backend, x),
      x.shape,
      x.shape.map(() => 0),
      dst,
      outShape,
      before,
      x.shape,
    );
    return out;
  };
}
