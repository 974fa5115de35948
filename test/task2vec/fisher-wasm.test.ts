import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initCompute } from '../../src/compute/index.js';
import { exactFisher } from '../../src/task2vec/task2vec.js';
import { expectedFisher, readTinyFixture, tinyHead, tinyInputs, tinyProbe } from './helpers/tiny-probe.js';

// The production backend, with the project's own gradient kernels: the same PyTorch vectors hold.
test('exact Fisher on the wasm backend matches the PyTorch per-filter values to a relative error below 1e-4', async () => {
  await initCompute('wasm', () => {});
  assert.equal(tf.getBackend(), 'wasm');
  const fx = readTinyFixture();
  const probe = tinyProbe(fx);
  const all = tinyInputs(fx);
  try {
    const before = tf.memory().numTensors;
    const fisher = exactFisher(
      probe,
      (indices) => tf.tidy(() => tf.gather(all, tf.tensor1d(indices, 'int32'))),
      fx.inputs_nhwc.length,
      tinyHead(fx),
    );
    assert.equal(tf.memory().numTensors, before);
    expectedFisher(fx).forEach((w, i) => {
      if (w > 1e-9) assert.ok(Math.abs(fisher[i]! - w) / w < 1e-4, `filter ${i}: got ${fisher[i]}, want ${w}`);
      else assert.ok(Math.abs(fisher[i]! - w) < 1e-12, `filter ${i}: got ${fisher[i]}, want ${w}`);
    });
  } finally {
    all.dispose();
    probe.dispose();
  }
});
