import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { Probe } from '../../src/probes/probe.js';
import type { Classifier } from '../../src/task2vec/classifier.js';
import { classifierLogits } from '../../src/task2vec/classifier.js';
import { microBatchSize, montecarloBatch, planMontecarlo, type InputBatch } from '../../src/task2vec/fisher.js';
import { exactFisher, montecarloFisher } from '../../src/task2vec/task2vec.js';
import { createRng, uniformSampler } from '../../src/task2vec/random.js';
import {
  expectedFisher,
  readTinyFixture,
  tinyHead,
  tinyInputs,
  tinyProbe,
  type TinyFixture,
} from './helpers/tiny-probe.js';

let fx: TinyFixture;
let probe: Probe;
let head: Classifier;
let all: tf.Tensor4D;
let inputs: InputBatch;
let want: number[];

before(async () => {
  await tf.setBackend('cpu');
  fx = readTinyFixture();
  probe = tinyProbe(fx);
  head = tinyHead(fx);
  all = tinyInputs(fx);
  inputs = (indices) => tf.tidy(() => tf.gather(all, tf.tensor1d(indices, 'int32')));
  want = expectedFisher(fx);
});

after(() => {
  all.dispose();
  probe.dispose();
});

test('the tiny probe reproduces the fixture probabilities, and its weights come in the fixture order', () => {
  assert.deepEqual(
    probe.weights.map((w) => [w.name, w.kind, w.filters]),
    [
      ['conv1/kernel', 'conv', 6],
      ['bn1/gamma', 'batchnorm', 6],
      ['conv2/kernel', 'conv', 8],
      ['dw3/depthwise_kernel', 'depthwise', 8],
    ],
  );
  const p = tf.tidy(() => tf.softmax(classifierLogits(probe.features(all), head))).arraySync() as number[][];
  fx.probabilities.forEach((row, i) =>
    row.forEach((v, j) => assert.ok(Math.abs(p[i]![j]! - v) < 1e-6, `p[${i}][${j}]`)),
  );
});

test('exact Fisher matches the PyTorch per-filter values to a relative error below 1e-4', () => {
  const before = tf.memory().numTensors;
  const fisher = exactFisher(probe, inputs, fx.inputs_nhwc.length, head);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(fisher.length, want.length);
  want.forEach((w, i) => {
    if (w > 1e-9) {
      const rel = Math.abs(fisher[i]! - w) / w;
      assert.ok(rel < 1e-4, `filter ${i}: got ${fisher[i]}, want ${w} (relative error ${rel})`);
    } else {
      assert.ok(Math.abs(fisher[i]! - w) < 1e-12, `filter ${i}: got ${fisher[i]}, want ${w}`);
    }
  });
});

test('Monte Carlo Fisher with batch size 1 and uniform sampling converges to the exact values', () => {
  // 480 samples (20 per input on average). With this seed the relative L1 error is 0.016; over
  // other seeds it ranged 0.01-0.05, and it shrinks with more samples (about 0.007 at 2,400).
  // A method off by a constant factor of 10% or more, one that summed instead of averaging over
  // a filter, or one that squared the expectation over labels (which is zero) instead of taking
  // the expectation of the square, fails these bounds.
  const before = tf.memory().numTensors;
  const plan = planMontecarlo(uniformSampler(fx.inputs_nhwc.length), createRng(0), 0, {
    samples: 480,
    batchSize: 1,
    epochs: 1,
  });
  assert.equal(plan.batches.length, 480);
  const mc = montecarloFisher(probe, inputs, head, plan);
  assert.equal(tf.memory().numTensors, before);
  const max = Math.max(...want);
  let l1 = 0;
  let total = 0;
  want.forEach((w, i) => {
    l1 += Math.abs(mc[i]! - w);
    total += w;
    if (w > 0.01 * max) {
      const rel = Math.abs(mc[i]! - w) / w;
      assert.ok(rel < 0.15, `filter ${i}: Monte Carlo ${mc[i]}, exact ${w} (relative error ${rel})`);
    }
    if (w === 0) assert.equal(mc[i], 0, `filter ${i} is dead in the fixture`);
  });
  assert.ok(l1 / total < 0.05, `relative L1 error ${l1 / total}`);
});

test('a Monte Carlo batch split into micro-batches gives the batch-mean gradient of the whole batch', () => {
  const whole = montecarloBatch(probe, all, head, 1234, all.shape[0]);
  for (const micro of [1, 5, 7]) {
    const split = montecarloBatch(probe, all, head, 1234, micro);
    for (let i = 0; i < whole.length; i++) {
      const scale = Math.max(Math.abs(whole[i]!), 1e-12);
      assert.ok(
        Math.abs(split[i]! - whole[i]!) / scale < 1e-4,
        `micro ${micro}, entry ${i}: ${split[i]} vs ${whole[i]}`,
      );
    }
  }
  assert.notDeepEqual(
    Array.from(montecarloBatch(probe, all, head, 99, all.shape[0])),
    Array.from(whole),
    'another label seed draws other labels',
  );
});

test('the micro-batch keeps a 224 px backward pass at 8 images and never falls below one', () => {
  assert.equal(microBatchSize(224, 224), 8);
  assert.equal(microBatchSize(96, 96), 43);
  assert.equal(microBatchSize(4096, 4096), 1);
});
