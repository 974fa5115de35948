import type * as tf from '@tensorflow/tfjs-core';
import type { Wasm } from './backend-ops.js';

/**
 * Identity without a copy. The engine clones every tensor it saves for the backward pass;
 * tfjs-backend-wasm's own Identity copies the buffer each time, doubling the memory a
 * gradient holds. Tensor buffers are immutable (variables swap buffers on assign), so sharing
 * one with a reference count is safe, as the cpu backend does.
 */
export function identity(args: { inputs: tf.NamedTensorInfoMap; backend: Wasm }): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}
