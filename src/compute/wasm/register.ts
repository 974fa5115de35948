import * as tf from '@tensorflow/tfjs-core';
import { installGradientOverrides } from '../gradients.js';
import {
  BATCH_NORM_ACT_GRAD_KERNEL,
  BATCH_NORM_ACT_KERNEL,
  batchNormActivation,
  batchNormActivationGrad,
} from './batch-norm-activation.js';
import { BATCH_NORM_STATS_KERNEL, batchNormGradStats, makeFusedBatchNorm } from './batch-norm.js';
import { makePad, makeSlice } from './box.js';
import { CLIP_GRAD_KERNEL, clipByValueGrad } from './clip-grad.js';
import { makeConv2dBackpropInput } from './conv2d-backprop-input.js';
import { identity } from './identity.js';
import { conv2dBackpropFilter, depthwiseBackpropFilter, depthwiseBackpropInput } from './kernels.js';

const asKernel = (f: unknown): tf.KernelFunc => f as tf.KernelFunc;

/** Kernels tfjs-backend-wasm lacks. */
const MISSING: readonly tf.KernelConfig[] = [
  { kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: asKernel(conv2dBackpropFilter) },
  {
    kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
    backendName: 'wasm',
    kernelFunc: asKernel(depthwiseBackpropFilter),
  },
  {
    kernelName: tf.DepthwiseConv2dNativeBackpropInput,
    backendName: 'wasm',
    kernelFunc: asKernel(depthwiseBackpropInput),
  },
  { kernelName: CLIP_GRAD_KERNEL, backendName: 'wasm', kernelFunc: asKernel(clipByValueGrad) },
  { kernelName: BATCH_NORM_STATS_KERNEL, backendName: 'wasm', kernelFunc: asKernel(batchNormGradStats) },
  { kernelName: BATCH_NORM_ACT_KERNEL, backendName: 'wasm', kernelFunc: asKernel(batchNormActivation) },
  { kernelName: BATCH_NORM_ACT_GRAD_KERNEL, backendName: 'wasm', kernelFunc: asKernel(batchNormActivationGrad) },
];

/** The kernel names this module adds to, or replaces in, the wasm backend. */
export const WASM_KERNELS: readonly string[] = [
  ...MISSING.map((k) => k.kernelName),
  tf.Identity,
  tf.Conv2DBackpropInput,
  tf.FusedBatchNorm,
  tf.Slice,
  tf.PadV2,
];

let registered = false;

function replace(name: string, make: (stock: tf.KernelFunc) => tf.KernelFunc): void {
  const stock = tf.getKernel(name, 'wasm');
  if (stock === undefined) throw new Error(`tfjs-backend-wasm has no ${name} kernel to replace`);
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...stock, kernelFunc: make(stock.kernelFunc) });
}

/**
 * Completes and speeds up the wasm backend for our probes' gradients: the missing convolution
 * gradients, a zero-copy Identity, a matMul path for 1x1 input gradients, and gradient
 * overrides for batch norm and clipping. Runs once per process; needs tfjs-backend-wasm imported.
 */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  for (const config of MISSING) {
    if (tf.getKernel(config.kernelName, 'wasm') === undefined) tf.registerKernel(config);
  }
  replace(tf.Identity, () => asKernel(identity));
  replace(tf.Conv2DBackpropInput, (stock) => asKernel(makeConv2dBackpropInput(stock)));
  replace(tf.FusedBatchNorm, (stock) => asKernel(makeFusedBatchNorm(stock)));
  replace(tf.Slice, (stock) => asKernel(makeSlice(stock)));
  replace(tf.PadV2, (stock) => asKernel(makePad(stock)));
  installGradientOverrides();
  registered = true;
}
