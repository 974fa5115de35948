import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  backendInfo,
  BackendUnavailableError,
  initCompute,
  parseBackendChoice,
  WASM_KERNELS,
} from '../../src/compute/index.js';

test('TA_BACKEND values parse, unknown ones are refused', () => {
  assert.equal(parseBackendChoice(undefined), 'auto');
  assert.equal(parseBackendChoice(' WASM '), 'wasm');
  assert.throws(() => parseBackendChoice('metal'), BackendUnavailableError);
});

test('forcing a backend whose package is not installed fails with one clear line', async () => {
  const lines: string[] = [];
  await assert.rejects(
    initCompute('gpu', (l) => lines.push(l)),
    (e: Error) => {
      assert.ok(e instanceof BackendUnavailableError);
      assert.match(e.message, /^TA_BACKEND=gpu cannot be used: @tensorflow\/tfjs-node-gpu is not installed/);
      assert.ok(!e.message.includes('\n'));
      return true;
    },
  );
  assert.deepEqual(lines, []);
  assert.equal(backendInfo(), null);
});

test('auto picks wasm here (no native package), with SIMD, and logs the choice once', async () => {
  const lines: string[] = [];
  const info = await initCompute('auto', (l) => lines.push(l));
  assert.equal(info.name, 'wasm');
  assert.equal(info.simd, true);
  assert.ok(info.threads >= 1);
  assert.equal(tf.getBackend(), 'wasm');
  await initCompute('auto', (l) => lines.push(l));
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? '', /^compute: backend wasm/);
  assert.deepEqual(backendInfo(), info);
  for (const name of WASM_KERNELS) assert.ok(tf.getKernel(name, 'wasm') !== undefined, `${name} registered for wasm`);
});
