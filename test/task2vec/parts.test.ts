import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { ProbeIdentity } from '../../src/probes/probe.js';
import { fitClassifier, initClassifier, classifierLogits } from '../../src/task2vec/classifier.js';
import { preprocess } from '../../src/task2vec/preprocess.js';
import {
  classBalancedSampler,
  createRng,
  deriveSeed,
  sampleCategorical,
  uniformSampler,
  type IndexSampler,
} from '../../src/task2vec/random.js';
import type { LabelledImages } from '../../src/task2vec/images.js';

before(async () => {
  await tf.setBackend('cpu');
});

const identity = (inputSize: number, pixelScaling: ProbeIdentity['pixelScaling']): ProbeIdentity => ({
  id: 'x',
  name: 'x',
  architecture: 'x',
  inputSize,
  pixelScaling,
});

test('preprocessing resizes bilinearly, replicates grey to three channels and scales pixels', () => {
  // One 2x2 grey image: 0 255 / 255 0.
  const images: LabelledImages = {
    id: 'g',
    count: 1,
    height: 2,
    width: 2,
    channels: 1,
    pixels: Uint8Array.of(0, 255, 255, 0),
    labels: Int32Array.of(0),
  };
  const same = preprocess(images, [0], identity(2, 'minus1to1'));
  assert.deepEqual(same.shape, [1, 2, 2, 3]);
  assert.deepEqual(Array.from(same.dataSync()), [-1, -1, -1, 1, 1, 1, 1, 1, 1, -1, -1, -1]);
  same.dispose();
  const zero1 = preprocess(images, [0], identity(4, 'zero1'));
  assert.deepEqual(zero1.shape, [1, 4, 4, 3]);
  const v = zero1.dataSync();
  // Half-pixel centres: the corner output pixel sits on the corner input pixel, an inner one halfway.
  assert.equal(v[0], 0);
  assert.ok(Math.abs(v[1 * 4 * 3 + 1 * 3]! - 0.375) < 1e-6, `inner pixel ${v[15]}`);
  zero1.dispose();
  const rgb: LabelledImages = {
    id: 'c',
    count: 2,
    height: 1,
    width: 1,
    channels: 3,
    pixels: Uint8Array.of(0, 0, 0, 255, 128, 0),
    labels: Int32Array.of(0, 1),
  };
  const norm = preprocess(rgb, [1], identity(1, 'imagenet-mean-std'));
  const n = norm.dataSync();
  assert.ok(Math.abs(n[0]! - (1 - 0.485) / 0.229) < 1e-5);
  assert.ok(Math.abs(n[1]! - (128 / 255 - 0.456) / 0.224) < 1e-5);
  assert.ok(Math.abs(n[2]! - (0 - 0.406) / 0.225) < 1e-5);
  norm.dispose();
});

test('the seeded generator is reproducible and separate purposes get separate streams', () => {
  const a = createRng(42);
  const b = createRng(42);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(
    xs,
    Array.from({ length: 5 }, () => b.next()),
  );
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notEqual(deriveSeed(42, 'fisher'), deriveSeed(42, 'classifier-batches'));
  assert.notEqual(deriveSeed(42, 'fisher'), deriveSeed(43, 'fisher'));
  const rng = createRng(1);
  const counts = [0, 0, 0];
  for (let i = 0; i < 30_000; i++) counts[sampleCategorical(rng, [0.2, 0, 0.8])]! += 1;
  assert.equal(counts[1], 0);
  assert.ok(Math.abs(counts[0]! / 30_000 - 0.2) < 0.01, `${counts}`);
});

test('class-balanced sampling draws each class equally often, whatever its size', () => {
  const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 90 ? 0 : 1));
  const drawn = classBalancedSampler(labels, 2)(createRng(3), 20_000);
  const minority = drawn.filter((i) => labels[i] === 1).length / drawn.length;
  assert.ok(Math.abs(minority - 0.5) < 0.02, `minority share ${minority}`);
  const uniform = uniformSampler(100)(createRng(3), 20_000);
  const share = uniform.filter((i) => labels[i] === 1).length / uniform.length;
  assert.ok(Math.abs(share - 0.1) < 0.02, `uniform minority share ${share}`);
});

test("Adam's first step moves every head weight by the learning rate against its gradient", () => {
  const features = Float32Array.of(1, 0, 0, 1, 2, 1, -1, 3);
  const labels = Int32Array.of(0, 1, 0, 1);
  // A fixed start and a batch holding each example once: the direction of the first step is then
  // a property of the data (worked by hand: every gradient is non-zero), not of the random stream.
  const start = { featureSize: 2, classCount: 2, kernel: new Float32Array(4), bias: Float32Array.of(0.1, -0.1) };
  const opts = { epochs: 1, learningRate: 0.01, weightDecay: 0, batchSize: 4, samples: 4 };
  const everyExample: IndexSampler = (_, count) => Int32Array.from({ length: count }, (_, i) => i % 4);
  const fitted = fitClassifier(features, 2, labels, start, everyExample, createRng(1), opts);
  for (let i = 0; i < 4; i++)
    assert.ok(Math.abs(Math.abs(fitted.kernel[i]! - start.kernel[i]!) - 0.01) < 1e-5, `kernel ${i}`);
  for (let i = 0; i < 2; i++)
    assert.ok(Math.abs(Math.abs(fitted.bias[i]! - start.bias[i]!) - 0.01) < 1e-5, `bias ${i}`);
  // Class 1 examples have a larger second feature, so its weight for class 1 must go up.
  assert.ok(fitted.kernel[3]! > start.kernel[3]!);
});

test('the head learns a separable task and leaves no tensors behind', () => {
  const rng = createRng(2);
  const n = 200;
  const features = new Float32Array(n * 4);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let f = 0; f < 4; f++) features[i * 4 + f] = rng.next() - 0.5 + (f === labels[i] ? 2 : 0);
  }
  const before = tf.memory().numTensors;
  const head = fitClassifier(
    features,
    4,
    labels,
    initClassifier(4, 3, createRng(0)),
    classBalancedSampler(labels, 3),
    createRng(4),
    {
      epochs: 10,
      learningRate: 0.05,
      weightDecay: 1e-4,
      batchSize: 20,
      samples: 200,
    },
  );
  assert.equal(tf.memory().numTensors, before);
  const predicted = tf.tidy(() => tf.argMax(classifierLogits(tf.tensor2d(features, [n, 4]), head), 1).dataSync());
  const accuracy = labels.filter((y, i) => predicted[i] === y).length / n;
  assert.ok(accuracy > 0.95, `accuracy ${accuracy}`);
});
