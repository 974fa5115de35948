import type { WindowGeometry } from './gather.js';

/**
 * Filter gradient of a depthwise convolution, HWCM layout: for every tap and channel, the sum
 * over batch and output pixels of input times output gradient. Depthwise products have no
 * matrix structure to hand to a GEMM (each channel is its own dot product), so this is one
 * streaming pass over dy with a small accumulator that stays in cache.
 */
export function depthwiseFilterGrad(
  x: Float32Array,
  dy: Float32Array,
  g: WindowGeometry,
  multiplier: number,
  out: Float32Array,
): void {
  const { batch, inHeight, inWidth, channels: c, outHeight, outWidth, filterHeight: fh, filterWidth: fw } = g;
  const depth = c * multiplier;
  const acc = new Float64Array(fh * fw * depth);
  const rowStride = inWidth * c;
  let d = 0;
  for (let b = 0; b < batch; b++) {
    const image = b * inHeight * rowStride;
    for (let oy = 0; oy < outHeight; oy++) {
      const iy0 = oy * g.strideHeight - g.padTop;
      for (let ox = 0; ox < outWidth; ox++, d += depth) {
        const ix0 = ox * g.strideWidth - g.padLeft;
        for (let ky = 0; ky < fh; ky++) {
          const iy = iy0 + ky;
          if (iy < 0 || iy >= inHeight) continue;
          for (let kx = 0; kx < fw; kx++) {
            const ix = ix0 + kx;
            if (ix < 0 || ix >= inWidth) continue;
            const xb = image + iy * rowStride + ix * c;
            const ab = (ky * fw + kx) * depth;
            if (multiplier === 1) {
              for (let ch = 0; ch < c; ch++)
                acc[ab + ch] = (acc[ab + ch] as number) + (x[xb + ch] as number) * (dy[d + ch] as number);
            } else {
              for (let ch = 0; ch < c; ch++) {
                const xv = x[xb + ch] as number;
                const o = ch * multiplier;
                for (let m = 0; m < multiplier; m++) {
                  const a = ab + o + m;
                  acc[a] = (acc[a] as number) + xv * (dy[d + o + m] as number);
                }
              }
            }
          }
        }
      }
    }
  }
  out.set(acc);
}
