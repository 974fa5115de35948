import type * as tf from '@tensorflow/tfjs-core';

/** How raw uint8 pixels become the probe's input range. */
export type PixelScaling = 'minus1to1' | 'zero1' | 'imagenet-mean-std';

/**
 * What makes two embeddings comparable: the same topology, the same weights,
 * the same input size and the same pixel scaling. `id` hashes all four.
 */
export interface ProbeIdentity {
  readonly id: string;
  readonly name: string;
  readonly architecture: string;
  readonly inputSize: number;
  readonly pixelScaling: PixelScaling;
}

/** The kinds of weight Task2Vec reads; biases and the head are never among them. */
export type ProbeWeightKind = 'conv' | 'depthwise' | 'batchnorm';

export interface ProbeWeight {
  readonly name: string;
  readonly kind: ProbeWeightKind;
  readonly shape: readonly number[];
  /** Length of this weight's slice of the embedding: output filters, or channels for depthwise and batch norm. */
  readonly filters: number;
}

/** A batch of images already at the probe's input size, NHWC, in its pixel scaling. */
export type ProbeInput = tf.Tensor4D;

export interface Probe {
  readonly identity: ProbeIdentity;
  /** In the order in which `gradients` returns them and embeddings concatenate them. */
  readonly weights: readonly ProbeWeight[];
  readonly featureSize: number;
  /** Forward pass in inference mode (batch norm uses its moving statistics). */
  features(x: ProbeInput): tf.Tensor2D;
  /**
   * Gradient of `loss(features(x))` with respect to every probe weight, aligned with `weights`.
   * The loss closure owns the head; the probe never sees labels.
   */
  gradients(x: ProbeInput, loss: (features: tf.Tensor2D) => tf.Scalar): tf.Tensor[];
  dispose(): void;
}
