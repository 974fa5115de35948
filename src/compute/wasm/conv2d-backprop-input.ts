import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import { alloc, heap, matMul, release, view, type Wasm } from './backend-ops.js';

/**
 * Input gradient of a convolution. For 1x1, stride-1, unpadded filters (most of a MobileNet)
 * it is dy [pixels, co] times the transposed filter [co, ci], one plain matMul after turning
 * the small filter in JS; wasm's own kernel (a direct loop) handles every other shape.
 */
export function makeConv2dBackpropInput(fallback: tf.KernelFunc) {
  return (args: {
    inputs: tf.NamedTensorInfoMap;
    backend: Wasm;
    attrs: tf.Conv2DBackpropInputAttrs;
  }): tf.TensorInfo => {
    const { inputs, backend, attrs } = args;
    const dy = inputs.dy as tf.TensorInfo;
    const filter = inputs.filter as tf.TensorInfo;
    const info = backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      backend_util.convertConv2DDataFormat(attrs.dataFormat),
    );
    const p = info.padInfo;
    const pointwise =
      info.dataFormat === 'channelsLast' &&
      info.filterHeight === 1 &&
      info.filterWidth === 1 &&
      info.strideHeight === 1 &&
      info.strideWidth === 1 &&
      p.top === 0 &&
      p.bottom === 0 &&
      p.left === 0 &&
      p.right === 0;
    if (!pointwise) return fallback(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    const ci = info.inChannels;
    const co = info.outChannels;
    const turned = alloc(backend, [co, ci]);
    const w = heap(backend, filter);
    const t = heap(backend, turned);
    for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) t[o * ci + i] = w[i * co + o] as number;
    const pixels = info.batchSize * info.inHeight * info.inWidth;
    const dx = matMul(backend, view(dy, [pixels, co]), turned);
    release(backend, turned);
    return view(dx, attrs.inputShape);
  };
}
