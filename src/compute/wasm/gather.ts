/**
 * Typed-array rearrangements feeding the wasm matrix and depthwise kernels. Each is one pass
 * over memory; the arithmetic stays in wasm.
 */

export interface WindowGeometry {
  readonly batch: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly channels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/**
 * im2col in the transposed layout [filterHeight*filterWidth*channels, batch*outHeight*outWidth]
 * (rows in the order of a HWIO filter), so that the filter gradient is one plain matMul with the
 * output gradient [batch*outHeight*outWidth, outChannels]. Out-of-image taps are zero.
 */
export function im2colTransposed(x: Float32Array, g: WindowGeometry, out: Float32Array): void {
  const { batch, inHeight, inWidth, channels: c, outHeight, outWidth } = g;
  const n = batch * outHeight * outWidth;
  const rowStride = inWidth * c;
  const imageStride = inHeight * rowStride;
  for (let ky = 0; ky < g.filterHeight; ky++) {
    for (let kx = 0; kx < g.filterWidth; kx++) {
      for (let ch = 0; ch < c; ch++) {
        const rowBase = ((ky * g.filterWidth + kx) * c + ch) * n;
        let o = rowBase;
        for (let b = 0; b < batch; b++) {
          for (let oy = 0; oy < outHeight; oy++) {
            const iy = oy * g.strideHeight + ky - g.padTop;
            if (iy < 0 || iy >= inHeight) {
              out.fill(0, o, o + outWidth);
              o += outWidth;
              continue;
            }
            const base = b * imageStride + iy * rowStride + ch;
            for (let ox = 0; ox < outWidth; ox++) {
              const ix = ox * g.strideWidth + kx - g.padLeft;
              out[o++] = ix >= 0 && ix < inWidth ? (x[base + ix * c] as number) : 0;
            }
          }
        }
      }
    }
  }
}

/**
 * Spreads dy [batch, outH, outW, c] onto a zeroed grid [batch, (outH-1)*sh+1, (outW-1)*sw+1, c]
 * with strides between its rows and columns, so that a strided convolution's input gradient
 * becomes a stride-1 correlation.
 */
export function dilateSpatial(
  dy: Float32Array,
  shape: readonly [number, number, number, number],
  strideHeight: number,
  strideWidth: number,
  out: Float32Array,
): void {
  const [batch, h, w, c] = shape;
  const dh = (h - 1) * strideHeight + 1;
  const dw = (w - 1) * strideWidth + 1;
  out.fill(0);
  let i = 0;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < h; y++) {
      const rowBase = (b * dh + y * strideHeight) * dw * c;
      for (let x = 0; x < w; x++) {
        out.set(dy.subarray(i, i + c), rowBase + x * strideWidth * c);
        i += c;
      }
    }
  }
}

/** HWCM filter turned by 180 degrees in its spatial plane. */
export function rotateFilter180(filter: Float32Array, fh: number, fw: number, depth: number, out: Float32Array): void {
  for (let y = 0; y < fh; y++) {
    for (let x = 0; x < fw; x++) {
      const from = (y * fw + x) * depth;
      const to = ((fh - 1 - y) * fw + (fw - 1 - x)) * depth;
      out.set(filter.subarray(from, from + depth), to);
    }
  }
}

/** [rows, cols] to [cols, rows] in square tiles, so that reads and writes both stay in cache. */
export function transpose2d(src: Float32Array, rows: number, cols: number, out: Float32Array): void {
  const tile = 32;
  for (let r0 = 0; r0 < rows; r0 += tile) {
    const r1 = Math.min(rows, r0 + tile);
    for (let c0 = 0; c0 < cols; c0 += tile) {
      const c1 = Math.min(cols, c0 + tile);
      for (let c = c0; c < c1; c++) {
        const o = c * rows;
        for (let r = r0; r < r1; r++) out[o + r] = src[r * cols + c] as number;
      }
    }
  }
}
