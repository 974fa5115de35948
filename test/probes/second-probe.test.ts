import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initCompute } from '../../src/compute/index.js';
import { defaultProbeFolder, loadProbe } from '../../src/probes/index.js';

await initCompute('wasm');

const V1 = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'shared',
  'weights',
  'mobilenet_v1_1.0_224_imagenet_to_pw12',
);

test('MobileNetV1 (cut at conv_pw_12) loads from a path as a second probe and differentiates on wasm', async () => {
  const v1 = await loadProbe(V1, { pixelScaling: 'minus1to1' });
  const v2 = await loadProbe(defaultProbeFolder());
  assert.notEqual(v1.identity.id, v2.identity.id);
  assert.equal(v1.identity.inputSize, 224);
  assert.equal(v1.featureSize, 1024);
  const kinds = { conv: 0, depthwise: 0, batchnorm: 0 };
  for (const w of v1.weights) kinds[w.kind] += 1;
  assert.deepEqual(kinds, { conv: 13, depthwise: 12, batchnorm: 25 });
  const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
  const f = v1.features(x);
  assert.deepEqual(f.shape, [2, 1024]);
  const grads = v1.gradients(x, (features) => tf.mean(tf.square(features)));
  grads.forEach((g, i) => assert.deepEqual(g.shape, v1.weights[i]?.shape));
  const norm = tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.square(g)))).dataSync()[0] ?? NaN);
  assert.ok(Number.isFinite(norm) && norm > 0);
  tf.dispose([x, f, ...grads]);
  v1.dispose();
  v2.dispose();
});
