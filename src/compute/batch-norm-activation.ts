import * as tf from '@tensorflow/tfjs-core';
import { BATCH_NORM_ACT_GRAD_KERNEL, BATCH_NORM_ACT_KERNEL } from './wasm/batch-norm-activation.js';

/** An activation folded into batch norm: gradient passes where lower < z <= upper (tfjs' relu/relu6 convention). */
export interface Clamp {
  readonly lower: number;
  readonly upper: number;
}

export const NO_CLAMP: Clamp = { lower: -Infinity, upper: Infinity };

export interface BatchNormParams {
  readonly beta: tf.Tensor1D | null;
  readonly movingMean: tf.Tensor1D;
  readonly movingVariance: tf.Tensor1D;
  readonly epsilon: number;
}

function composed(x: tf.Tensor, gamma: tf.Tensor1D | null, p: BatchNormParams, clamp: Clamp): tf.Tensor {
  const y = tf.batchNorm(x, p.movingMean, p.movingVariance, p.beta ?? undefined, gamma ?? undefined, p.epsilon);
  if (clamp.lower === -Infinity && clamp.upper === Infinity) return y;
  if (clamp.upper === Infinity) return tf.relu(y);
  return tf.clipByValue(tf.relu(y), clamp.lower, clamp.upper);
}

/**
 * Inference-mode batch norm followed by relu or relu6, as one operation with its own gradient
 * (with respect to x and gamma). On wasm both directions are single passes over the activation;
 * elsewhere it is tfjs' own composition, with the same values and gradients.
 */
export function batchNormActivation(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D | null,
  p: BatchNormParams,
  clamp: Clamp,
): tf.Tensor4D {
  if (tf.getBackend() !== 'wasm' || gamma === null) return composed(x, gamma, p, clamp) as tf.Tensor4D;
  const attrs = { epsilon: p.epsilon, lower: clamp.lower, upper: clamp.upper };
  const inputs = (g: tf.Tensor): tf.NamedTensorMap => {
    const map: tf.NamedTensorMap = { scale: g, mean: p.movingMean, variance: p.movingVariance };
    if (p.beta !== null) map.offset = p.beta;
    return map;
  };
  const forward = (xs: tf.Tensor, g: tf.Tensor, save: tf.GradSaveFunc) => {
    const value = tf.engine().runKernel(BATCH_NORM_ACT_KERNEL, { x: xs, ...inputs(g) }, attrs) as tf.Tensor;
    save([xs, g]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg] = saved as [tf.Tensor, tf.Tensor];
        const [dx, dGamma] = tf
          .engine()
          .runKernel(BATCH_NORM_ACT_GRAD_KERNEL, { dy, x: sx, ...inputs(sg) }, attrs) as tf.Tensor[];
        return [dx as tf.Tensor, dGamma as tf.Tensor];
      },
    };
  };
  const op = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, gamma) as tf.Tensor4D;
}
