import * as tf from '@tensorflow/tfjs-core';
import type { PixelScaling, ProbeIdentity, ProbeInput } from '../probes/index.js';
import type { LabelledImages } from './images.js';

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

/** Pixel values 0..255 to the range the probe was trained on. */
function scalePixels(x: tf.Tensor4D, scaling: PixelScaling): tf.Tensor4D {
  switch (scaling) {
    case 'minus1to1':
      return tf.sub(tf.div(x, 127.5), 1);
    case 'zero1':
      return tf.div(x, 255);
    case 'imagenet-mean-std': {
      const mean = tf.tensor1d(IMAGENET_MEAN.map((m) => m * 255));
      const std = tf.tensor1d(IMAGENET_STD.map((s) => s * 255));
      return tf.div(tf.sub(x, mean), std);
    }
  }
}

/** Copies the chosen images' bytes into one float buffer; cheaper than gathering on the device. */
function gatherPixels(images: LabelledImages, indices: ArrayLike<number>): Float32Array {
  const size = images.height * images.width * images.channels;
  const out = new Float32Array(indices.length * size);
  for (let i = 0; i < indices.length; i++) {
    const start = indices[i]! * size;
    out.set(images.pixels.subarray(start, start + size), i * size);
  }
  return out;
}

/**
 * Task2Vec's preprocessing of a batch: bilinear resize to the probe's input size (half-pixel
 * centres, as PIL and torchvision resize; no antialiasing when shrinking), grey replicated to
 * three channels, then the probe's pixel scaling. Bilinear interpolation takes convex
 * combinations of pixels, so it commutes with the per-pixel steps; those run on whichever side
 * of the resize has fewer pixels (tiling 224x224 batches to three channels costs more than the
 * forward pass of a small probe). Returns a new tensor the caller disposes.
 */
export function preprocess(images: LabelledImages, indices: ArrayLike<number>, probe: ProbeIdentity): ProbeInput {
  const size = probe.inputSize;
  const perPixel = (x: tf.Tensor4D): tf.Tensor4D =>
    scalePixels(images.channels === 1 ? tf.tile(x, [1, 1, 1, 3]) : x, probe.pixelScaling);
  const resize = (x: tf.Tensor4D): tf.Tensor4D =>
    images.height === size && images.width === size ? x : tf.image.resizeBilinear(x, [size, size], false, true);
  return tf.tidy(() => {
    const x = tf.tensor4d(gatherPixels(images, indices), [
      indices.length,
      images.height,
      images.width,
      images.channels,
    ]);
    return images.height * images.width <= size * size ? resize(perPixel(x)) : perPixel(resize(x));
  });
}
