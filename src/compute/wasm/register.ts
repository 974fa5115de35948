import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackpropFilter, depthwiseBackpropFilter, depthwiseBackpropInput } from './kernels.js';

const KERNELS: readonly tf.KernelConfig[] = [
  { kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc },
  { kernelName: tf.DepthwiseConv2dNativeBackpropFilter, backendName: 'wasm', kernelFunc: depthwiseBackpropFilter as unknown as tf.KernelFunc },
  { kernelName: tf.DepthwiseConv2dNativeBackpropInput, backendName: 'wasm', kernelFunc: depthwiseBackpropInput as unknown as tf.KernelFunc },
];

/** The kernel names this module adds to the wasm backend. */
export const WASM_GRADIENT_KERNELS: readonly string[] = KERNELS.map((k) => k.kernelName);

/** Registers the gradient kernels tfjs-backend-wasm lacks; idempotent. */
export function registerWasmGradientKernels(): void {
  for (const config of KERNELS) {
    if (tf.getKernel(config.kernelName, 'wasm') === undefined) tf.registerKernel(config);
  }
}
