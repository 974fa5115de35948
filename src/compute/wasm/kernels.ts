import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import { alloc, heap, matMul, memoryOf, pointer, release, runKernel, view, type Wasm } from './backend-ops.js';
import { simdLoops, type SimdLoops } from './simd/loops.js';
import { dilateSpatial, im2colTransposed, rotateFilter180, transpose2d, type WindowGeometry } from './gather.js';
import { depthwiseFilterGrad } from './depthwise-filter-grad.js';

/** Bounds the im2col buffer (floats); larger batches are processed in slices and summed. */
const IM2COL_MAX_FLOATS = 1 << 24;

function geometry(info: backend_util.Conv2DInfo): WindowGeometry {
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    channels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

function requireChannelsLast(info: backend_util.Conv2DInfo, kernel: string): void {
  if (info.dataFormat !== 'channelsLast') throw new Error(`wasm ${kernel} supports only NHWC data`);
}

function requireUnitDilation(dilations: number | [number, number] | undefined, kernel: string): void {
  const [dh, dw] = typeof dilations === 'number' ? [dilations, dilations] : (dilations ?? [1, 1]);
  if (dh !== 1 || dw !== 1) throw new Error(`wasm ${kernel} supports only dilation 1`);
}

/** A 1x1, stride-1, unpadded convolution is a matrix product over all pixels. */
function isPointwise(info: backend_util.Conv2DInfo): boolean {
  const p = info.padInfo;
  return (
    info.filterHeight === 1 &&
    info.filterWidth === 1 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    p.top === 0 &&
    p.left === 0 &&
    p.bottom === 0 &&
    p.right === 0
  );
}

/**
 * dW = x^T dy over pixels. With few channels on either side, SIMD outer products. Otherwise
 * wasm's matMul: it packs its right operand with a strided transposition
 * that re-reads it once per 8 output columns, so with millions of pixels the right operand must
 * be the one with fewer channels; the other is transposed (one cache-blocked pass) to be the left.
 */
function pointwiseFilterGrad(
  backend: Wasm,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: backend_util.Conv2DInfo,
): tf.TensorInfo {
  const pixels = info.batchSize * info.inHeight * info.inWidth;
  const ci = info.inChannels;
  const co = info.outChannels;
  const loops = Math.min(ci, co) <= OUTER_PRODUCT_MAX_IN ? simdLoops(memoryOf(backend)) : null;
  if (loops !== null && ci <= OUTER_PRODUCT_MAX_IN && co % 4 === 0) {
    const dw = alloc(backend, [1, 1, ci, co]);
    heap(backend, dw).set(outerProductSum(backend, loops, pointer(backend, x), pointer(backend, dy), pixels, ci, co));
    return dw;
  }
  if (loops !== null && co <= OUTER_PRODUCT_MAX_IN && ci % 4 === 0) {
    const sums = outerProductSum(backend, loops, pointer(backend, dy), pointer(backend, x), pixels, co, ci);
    const dw = alloc(backend, [1, 1, ci, co]);
    const out = heap(backend, dw);
    for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++) out[i * co + o] = sums[o * ci + i] as number;
    return dw;
  }
  if (ci > co) {
    const xT = transposeInHeap(backend, x, pixels, ci);
    const dw = matMul(backend, xT, view(dy, [pixels, co]));
    release(backend, xT);
    return view(dw, [1, 1, ci, co]);
  }
  const dyT = transposeInHeap(backend, dy, pixels, co);
  const dwT = matMul(backend, dyT, view(x, [pixels, ci]));
  const dw = transposeInHeap(backend, dwT, co, ci);
  release(backend, dyT, dwT);
  return view(dw, [1, 1, ci, co]);
}

/**
 * Sum over pixels of scalars[p, 0..ns) outer vectors[p, 0..nv), row-major [ns, nv], for a side
 * with few channels: no transpose, and in SIMD; float32 partials over ROW_FLUSH pixels at a time.
 */
function outerProductSum(
  backend: Wasm,
  loops: SimdLoops,
  scalars: number,
  vectors: number,
  pixels: number,
  ns: number,
  nv: number,
): Float64Array {
  const partial = alloc(backend, [ns * nv]);
  const pacc = pointer(backend, partial);
  const total = new Float64Array(ns * nv);
  for (let p0 = 0; p0 < pixels; p0 += ROW_FLUSH) {
    const n = Math.min(ROW_FLUSH, pixels - p0);
    const sums = heap(backend, partial);
    sums.fill(0);
    loops.outerAccumulate(scalars + p0 * ns * 4, vectors + p0 * nv * 4, pacc, n, ns * 4, ns, nv * 4);
    for (let i = 0; i < total.length; i++) total[i] = (total[i] as number) + (sums[i] as number);
  }
  release(backend, partial);
  return total;
}

function transposeInHeap(backend: Wasm, t: tf.TensorInfo, rows: number, cols: number): tf.TensorInfo {
  const out = alloc(backend, [cols, rows]);
  const loops = rows % 16 === 0 && cols % 4 === 0 ? simdLoops(memoryOf(backend)) : null;
  if (loops === null) transpose2d(heap(backend, t), rows, cols, heap(backend, out));
  else loops.transpose(pointer(backend, t), pointer(backend, out), rows, cols);
  return out;
}

/** Input channels up to which the per-tap outer-product loop beats im2col plus matMul. */
const OUTER_PRODUCT_MAX_IN = 8;

/**
 * Filter gradient of a convolution with few input channels (a network's first layer): per output
 * row and tap, a SIMD loop adds x[pixel, ci] * dy[pixel, 0..co) into a small float32 partial,
 * flushed into float64 totals; im2col would copy the input nine times for little arithmetic.
 */
function outerProductFilterGrad(
  backend: Wasm,
  loops: SimdLoops,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: backend_util.Conv2DInfo,
): tf.TensorInfo {
  const g = geometry(info);
  const ci = g.channels;
  const cobytes = info.outChannels * 4;
  const out = alloc(backend, [g.filterHeight, g.filterWidth, ci, info.outChannels]);
  accumulateOverTaps(
    backend,
    x,
    dy,
    g,
    { xPixelBytes: ci * 4, dyPixelBytes: cobytes, perTap: ci * info.outChannels },
    out,
    (xAt, dyAt, accAt, count) => loops.outerAccumulate(xAt, dyAt, accAt, count, g.strideWidth * ci * 4, ci, cobytes),
  );
  return out;
}

function windowedFilterGrad(
  backend: Wasm,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: backend_util.Conv2DInfo,
): tf.TensorInfo {
  const g = geometry(info);
  const k = g.filterHeight * g.filterWidth * g.channels;
  const perImage = g.outHeight * g.outWidth;
  const co = info.outChannels;
  const slice = Math.max(1, Math.min(g.batch, Math.floor(IM2COL_MAX_FLOATS / Math.max(1, k * perImage))));
  const imageFloats = g.inHeight * g.inWidth * g.channels;
  let total: tf.TensorInfo | null = null;
  for (let b0 = 0; b0 < g.batch; b0 += slice) {
    const nb = Math.min(slice, g.batch - b0);
    const n = nb * perImage;
    const cols = alloc(backend, [k, n]);
    const xs = heap(backend, x).subarray(b0 * imageFloats, (b0 + nb) * imageFloats);
    im2colTransposed(xs, { ...g, batch: nb }, heap(backend, cols));
    const dySlice = sliceRows(backend, dy, b0 * perImage * co, n * co, [n, co]);
    const part = matMul(backend, cols, dySlice);
    release(backend, cols, dySlice);
    if (total === null) total = part;
    else {
      const sum = runKernel(backend, tf.Add, { a: total, b: part });
      release(backend, total, part);
      total = sum;
    }
  }
  if (total === null) throw new Error('Conv2DBackpropFilter: empty batch');
  return view(total, [g.filterHeight, g.filterWidth, g.channels, co]);
}

/** A contiguous run of floats copied into its own tensor (matMul reads whole tensors). */
function sliceRows(
  backend: Wasm,
  t: tf.TensorInfo,
  start: number,
  length: number,
  shape: readonly number[],
): tf.TensorInfo {
  const out = alloc(backend, shape);
  heap(backend, out).set(heap(backend, t).subarray(start, start + length));
  return out;
}

export function conv2dBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: Wasm;
  attrs: tf.Conv2DBackpropFilterAttrs;
}): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  requireChannelsLast(info, tf.Conv2DBackpropFilter);
  if (isPointwise(info)) return pointwiseFilterGrad(backend, x, dy, info);
  const loops =
    info.inChannels <= OUTER_PRODUCT_MAX_IN && info.outChannels % 4 === 0 ? simdLoops(memoryOf(backend)) : null;
  return loops === null
    ? windowedFilterGrad(backend, x, dy, info)
    : outerProductFilterGrad(backend, loops, x, dy, info);
}

export function depthwiseBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: Wasm;
  attrs: tf.DepthwiseConv2dNativeBackpropFilterAttrs;
}): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  requireUnitDilation(attrs.dilations, tf.DepthwiseConv2dNativeBackpropFilter);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  const out = alloc(backend, attrs.filterShape);
  const g = geometry(info);
  const multiplier = info.outChannels / info.inChannels;
  const loops = multiplier === 1 && g.channels % 4 === 0 ? simdLoops(memoryOf(backend)) : null;
  if (loops === null) depthwiseFilterGrad(heap(backend, x), heap(backend, dy), g, multiplier, heap(backend, out));
  else depthwiseFilterGradSimd(backend, loops, x, dy, g, out);
  return out;
}

/** Accumulations per float32 partial sum before it joins the float64 total. */
const ROW_FLUSH = 128;

/**
 * The same sum as depthwiseFilterGrad, with the per-channel multiply-accumulate over one output
 * row and one tap done by a SIMD loop; the row and tap bounds are worked out here.
 */
function depthwiseFilterGradSimd(
  backend: Wasm,
  loops: SimdLoops,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  g: WindowGeometry,
  out: tf.TensorInfo,
): void {
  const cbytes = g.channels * 4;
  accumulateOverTaps(
    backend,
    x,
    dy,
    g,
    { xPixelBytes: cbytes, dyPixelBytes: cbytes, perTap: g.channels },
    out,
    (xAt, dyAt, accAt, count) => loops.multiplyAccumulate(xAt, dyAt, accAt, count, g.strideWidth * cbytes, cbytes),
  );
}

/** One filter tap over one output row: the output pixels it saw, all inside the input. */
interface TapRun {
  /** Index of the tap, ky * filterWidth + kx. */
  readonly tap: number;
  /** Flat NHW index of the first output pixel of the run. */
  readonly outputPixel: number;
  /** Flat NHW index of the input pixel that output pixel read through this tap. */
  readonly inputPixel: number;
  /** Output pixels in the run; consecutive runs step by strideWidth input pixels. */
  readonly count: number;
}

/**
 * Every image, output row and filter tap of a window, as runs of output pixels whose input lies
 * inside the image (padding contributes nothing), so callers never test bounds per pixel.
 */
function walkTaps(g: WindowGeometry, visit: (run: TapRun) => void, endOfOutputRow?: () => void): void {
  for (let b = 0; b < g.batch; b++) {
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ky = 0; ky < g.filterHeight; ky++) {
        const iy = oy * g.strideHeight + ky - g.padTop;
        if (iy < 0 || iy >= g.inHeight) continue;
        for (let kx = 0; kx < g.filterWidth; kx++) {
          const first = Math.max(0, Math.ceil((g.padLeft - kx) / g.strideWidth));
          const last = Math.min(g.outWidth - 1, Math.floor((g.inWidth - 1 + g.padLeft - kx) / g.strideWidth));
          if (last < first) continue;
          const ix = first * g.strideWidth + kx - g.padLeft;
          visit({
            tap: ky * g.filterWidth + kx,
            outputPixel: (b * g.outHeight + oy) * g.outWidth + first,
            inputPixel: (b * g.inHeight + iy) * g.inWidth + ix,
            count: last - first + 1,
          });
        }
      }
      endOfOutputRow?.();
    }
  }
}

/**
 * What both SIMD filter gradients share: each tap run is handed to `row` with its x, dy and
 * partial-sum addresses; the float32 partial sums are folded into float64 totals every ROW_FLUSH
 * accumulations, then written to `out`.
 */
function accumulateOverTaps(
  backend: Wasm,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  g: WindowGeometry,
  layout: { readonly xPixelBytes: number; readonly dyPixelBytes: number; readonly perTap: number },
  out: tf.TensorInfo,
  row: (xAt: number, dyAt: number, accAt: number, count: number) => void,
): void {
  const floats = g.filterHeight * g.filterWidth * layout.perTap;
  const partial = alloc(backend, [floats]);
  const total = new Float64Array(floats);
  const [px, pdy, pacc] = [pointer(backend, x), pointer(backend, dy), pointer(backend, partial)];
  const rowsPerFlush = Math.max(1, Math.floor(ROW_FLUSH / Math.max(1, g.outWidth)));
  const flush = (): void => {
    const sums = heap(backend, partial);
    for (let i = 0; i < sums.length; i++) total[i] = (total[i] as number) + (sums[i] as number);
    sums.fill(0);
  };
  heap(backend, partial).fill(0);
  let rows = 0;
  walkTaps(
    g,
    (run) => {
      const xAt = px + run.inputPixel * layout.xPixelBytes;
      const dyAt = pdy + run.outputPixel * layout.dyPixelBytes;
      row(xAt, dyAt, pacc + run.tap * layout.perTap * 4, run.count);
    },
    () => {
      if (++rows % rowsPerFlush === 0) flush();
    },
  );
  flush();
  heap(backend, out).set(total);
  release(backend, partial);
}

/**
 * Strided depthwise input gradient scattered directly: each dy pixel, times each tap's per-channel
 * weights, is added where that tap read the input. The correlation route would first spread dy
 * onto a grid mostly of zeros (3/4 of it at stride 2) and convolve all of them.
 */
function stridedDepthwiseInputGrad(
  backend: Wasm,
  loops: SimdLoops,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: backend_util.Conv2DInfo,
): tf.TensorInfo {
  const g = geometry(info);
  const cbytes = g.channels * 4;
  const dx = alloc(backend, info.inShape);
  heap(backend, dx).fill(0);
  const [pdx, pdy, pw] = [pointer(backend, dx), pointer(backend, dy), pointer(backend, filter)];
  walkTaps(g, (run) =>
    loops.scaledAccumulate(
      pdy + run.outputPixel * cbytes,
      pw + run.tap * cbytes,
      pdx + run.inputPixel * cbytes,
      run.count,
      g.strideWidth * cbytes,
      cbytes,
    ),
  );
  return dx;
}

/**
 * dx of a depthwise convolution is a stride-1 depthwise correlation of the (stride-dilated)
 * output gradient with the 180-degree-turned filter, run by wasm's own depthwise kernel; with a
 * channel multiplier the M products per input channel are then summed.
 */
export function depthwiseBackpropInput(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: Wasm;
  attrs: tf.DepthwiseConv2dNativeBackpropInputAttrs;
}): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const dy = inputs.dy as tf.TensorInfo;
  const filter = inputs.filter as tf.TensorInfo;
  requireUnitDilation(attrs.dilations, tf.DepthwiseConv2dNativeBackpropInput);
  const inShape = attrs.inputShape;
  const info = backend_util.computeConv2DInfo(
    inShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  const { filterHeight: fh, filterWidth: fw, inChannels: c, outChannels: depth } = info;
  const multiplier = depth / c;
  const strided = info.strideHeight > 1 || info.strideWidth > 1;
  const loops = strided && multiplier === 1 && c % 4 === 0 ? simdLoops(memoryOf(backend)) : null;
  if (loops !== null) return stridedDepthwiseInputGrad(backend, loops, dy, filter, info);
  let spread = dy;
  if (strided) {
    const dh = (info.outHeight - 1) * info.strideHeight + 1;
    const dw = (info.outWidth - 1) * info.strideWidth + 1;
    spread = alloc(backend, [info.batchSize, dh, dw, depth]);
    dilateSpatial(
      heap(backend, dy),
      dy.shape as [number, number, number, number],
      info.strideHeight,
      info.strideWidth,
      heap(backend, spread),
    );
  }
  const turned = alloc(backend, [fh, fw, depth, 1]);
  rotateFilter180(heap(backend, filter), fh, fw, depth, heap(backend, turned));
  const spreadH = spread.shape[1] as number;
  const spreadW = spread.shape[2] as number;
  const top = fh - 1 - info.padInfo.top;
  const left = fw - 1 - info.padInfo.left;
  const bottom = info.inHeight - spreadH - top + fh - 1;
  const right = info.inWidth - spreadW - left + fw - 1;
  const full = runKernel(
    backend,
    tf.DepthwiseConv2dNative,
    { x: spread, filter: turned },
    {
      strides: [1, 1],
      dilations: [1, 1],
      pad: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
    },
  );
  release(backend, turned);
  if (strided) release(backend, spread);
  if (multiplier === 1) return full;
  const pixels = info.batchSize * info.inHeight * info.inWidth;
  const summed = runKernel(
    backend,
    tf.Sum,
    { x: view(full, [pixels * c, multiplier]) },
    { axis: [1], keepDims: false },
  );
  release(backend, full);
  return view(summed, inShape);
}
