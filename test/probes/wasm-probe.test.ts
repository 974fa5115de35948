import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initCompute } from '../../src/compute/index.js';
import { defaultProbeFolder, loadProbe } from '../../src/probes/index.js';
import { relativeError, seeded } from '../compute/grid.js';

const info = await initCompute('wasm');

const SIZE = 40;
const input = seeded(2 * SIZE * SIZE * 3, 9);
const head = seeded(1280 * 4, 10);

function lossOf(features: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.square(tf.matMul(features, tf.tensor2d(head, [1280, 4]))));
}

async function gradientsOn(backend: string): Promise<{ grads: Float32Array[]; kernels: string[] }> {
  await tf.setBackend(backend);
  const probe = await loadProbe(defaultProbeFolder());
  const x = tf.tensor4d(input, [2, SIZE, SIZE, 3]);
  let grads: Float32Array[] = [];
  const profile = await tf.profile(() => {
    const g = probe.gradients(x, lossOf);
    grads = g.map((t) => Float32Array.from(t.dataSync()));
    tf.dispose(g);
  });
  x.dispose();
  probe.dispose();
  return { grads, kernels: profile.kernelNames };
}

test('auto-selected wasm computes probe gradients with its own kernels, matching cpu', async () => {
  assert.equal(info.name, 'wasm');
  const wasm = await gradientsOn('wasm');
  assert.equal(tf.getBackend(), 'wasm');
  for (const k of [
    'Conv2DBackpropFilter',
    'DepthwiseConv2dNativeBackpropFilter',
    'DepthwiseConv2dNativeBackpropInput',
  ]) {
    assert.ok(wasm.kernels.includes(k), `${k} ran on wasm`);
    assert.ok(tf.getKernel(k, 'wasm') !== undefined, `${k} is a wasm kernel`);
  }
  const cpu = await gradientsOn('cpu');
  assert.equal(wasm.grads.length, cpu.grads.length);
  wasm.grads.forEach((g, i) => {
    const err = relativeError(g, cpu.grads[i] as Float32Array);
    assert.ok(err < 1e-3, `weight ${i}: relative error ${err}`);
  });
  await tf.setBackend('wasm');
});

test('features on wasm match cpu', async () => {
  const run = async (backend: string): Promise<Float32Array> => {
    await tf.setBackend(backend);
    const probe = await loadProbe(defaultProbeFolder());
    const f = tf.tidy(() => Float32Array.from(probe.features(tf.tensor4d(input, [2, SIZE, SIZE, 3])).dataSync()));
    probe.dispose();
    return f;
  };
  const err = relativeError(await run('wasm'), await run('cpu'));
  assert.ok(err < 1e-4, `relative error ${err}`);
  await tf.setBackend('wasm');
});

test('200 forward and backward passes leave the tensor count and bytes where they started', async () => {
  await tf.setBackend('wasm');
  const probe = await loadProbe(defaultProbeFolder());
  const x = tf.tensor4d(seeded(2 * 32 * 32 * 3, 3), [2, 32, 32, 3]);
  const warm = probe.gradients(x, lossOf);
  tf.dispose(warm);
  const before = tf.memory();
  for (let i = 0; i < 200; i++) {
    const f = probe.features(x);
    const g = probe.gradients(x, lossOf);
    tf.dispose([f, ...g]);
  }
  const after = tf.memory();
  assert.equal(after.numTensors, before.numTensors);
  assert.equal(after.numBytes, before.numBytes);
  x.dispose();
  probe.dispose();
});
