import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `fn` in a tidy scope and returns a copy of its result's values, disposing the result too:
 * tf.tidy keeps the tensor it returns alive, so reading one out of a tidy would otherwise leak it.
 */
export function valuesOf(fn: () => tf.Tensor): Float32Array {
  const t = tf.tidy(fn);
  try {
    return Float32Array.from(t.dataSync());
  } finally {
    t.dispose();
  }
}
