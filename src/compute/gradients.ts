import * as tf from '@tensorflow/tfjs-core';
// The overrides wrap tfjs-core's own gradients, which tfjs-core's Node build does not register and
// tfjs-layers' does; compute must not rely on the probes having loaded it first.
import '@tensorflow/tfjs-layers';
import { BATCH_NORM_STATS_KERNEL } from './wasm/batch-norm.js';
import { CLIP_GRAD_KERNEL } from './wasm/clip-grad.js';

/**
 * Gradient overrides that keep tfjs' results but avoid its slow compositions on wasm: the
 * stock batch-norm gradient tiles the inverse deviation to the full activation size (wasm's
 * Tile is the single slowest kernel in a MobileNet backward pass) and computes unused terms
 * eagerly; the stock clip gradient runs five kernels where one masked copy does. Any other
 * backend, or an input layout the fast path does not cover, gets the stock gradient.
 */
function onWasm(): boolean {
  return tf.getBackend() === 'wasm';
}

function batchNormGrad(stock: tf.GradConfig): tf.GradConfig {
  return {
    ...stock,
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
      const channels = x.shape[x.rank - 1];
      const perChannel = (t: tf.Tensor | undefined): boolean => t == null || (t.rank === 1 && t.shape[0] === channels);
      if (!onWasm() || !perChannel(mean) || !perChannel(variance) || !perChannel(scale)) {
        return stock.gradFunc(dy, saved, attrs);
      }
      const g = dy as tf.Tensor;
      const eps = (attrs as { varianceEpsilon: number }).varianceEpsilon;
      const invStd = tf.rsqrt(tf.add(variance, eps));
      const gain = scale == null ? invStd : tf.mul(invStd, scale);
      // Each gradient is computed in its own tidy scope, so the one-pass sums cannot be shared
      // between them; only the gradients asked for are computed.
      const stats = (): [tf.Tensor, tf.Tensor] => {
        const both = tf.engine().runKernel(BATCH_NORM_STATS_KERNEL, { dy: g, x, mean }) as tf.Tensor;
        return tf.unstack(both) as [tf.Tensor, tf.Tensor];
      };
      return {
        x: () => tf.mul(g, gain),
        mean: () => tf.neg(tf.mul(stats()[0], gain)),
        variance: () => tf.mul(stats()[1], tf.mul(tf.mul(gain, tf.square(invStd)), -0.5)),
        scale: () => tf.mul(stats()[1], invStd),
        offset: () => tf.clone(stats()[0]),
      };
    },
  };
}

function clipGrad(stock: tf.GradConfig): tf.GradConfig {
  return {
    ...stock,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      if (!onWasm() || x.dtype !== 'float32' || (dy as tf.Tensor).dtype !== 'float32')
        return stock.gradFunc(dy, saved, attrs);
      return { x: () => tf.engine().runKernel(CLIP_GRAD_KERNEL, { dy: dy as tf.Tensor, x }, attrs) as tf.Tensor };
    },
  };
}

let installed = false;

export function installGradientOverrides(): void {
  if (installed) return;
  const bn = tf.getGradient(tf.FusedBatchNorm);
  const clip = tf.getGradient(tf.ClipByValue);
  if (bn === undefined || clip === undefined)
    throw new Error('tfjs-core gradients for FusedBatchNorm/ClipByValue are missing');
  tf.registerGradient(batchNormGrad(bn));
  tf.registerGradient(clipGrad(clip));
  installed = true;
}
