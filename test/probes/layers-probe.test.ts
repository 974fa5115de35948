import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { defaultProbeFolder, loadProbe, probeFromLayersModel, readLayersArtifacts } from '../../src/probes/index.js';

await tf.setBackend('cpu');

/** With `smooth`, no activation: the loss is then differentiable everywhere, for finite differences. */
function smallModel(smooth = false): tfl.LayersModel {
  const input = tfl.input({ shape: [9, 9, 3] });
  let h = tfl.layers
    .conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', useBias: true, name: 'c1' })
    .apply(input) as tfl.SymbolicTensor;
  h = tfl.layers.batchNormalization({ name: 'bn1' }).apply(h) as tfl.SymbolicTensor;
  if (!smooth) h = tfl.layers.reLU({ maxValue: 6 }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers
    .depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'valid', useBias: false, name: 'dw' })
    .apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.globalAveragePooling2d({}).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: h });
}

const meta = { name: 'small', architecture: 'test net', inputSize: 9, pixelScaling: 'minus1to1' as const };

test('lists conv, depthwise and batch-norm weights with their filter counts, never biases', () => {
  const probe = probeFromLayersModel(smallModel(), meta);
  assert.deepEqual(
    probe.weights.map((w) => [w.name, w.kind, w.filters]),
    [
      ['c1/kernel', 'conv', 5],
      ['bn1/gamma', 'batchnorm', 5],
      ['dw/depthwise_kernel', 'depthwise', 10],
    ],
  );
  assert.equal(probe.featureSize, 10);
  probe.dispose();
});

test('gradients match tfjs-layers autodiff through model.apply, relu6 included', () => {
  const model = smallModel();
  const probe = probeFromLayersModel(model, meta);
  const x = tf.randomUniform([3, 9, 9, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
  const target = tf.randomNormal([3, 10], 0, 1, 'float32', 8);
  const loss = (f: tf.Tensor2D): tf.Scalar => tf.sum(tf.square(tf.sub(f, target)));
  const grads = probe.gradients(x, loss);
  const byName = new Map(model.weights.map((w) => [w.originalName, w.read() as tf.Variable]));
  const vars = probe.weights.map((w) => byName.get(w.name) as tf.Variable);
  const reference = tf.variableGrads(() => loss(model.apply(x, { training: false }) as tf.Tensor2D), vars);
  probe.weights.forEach((w, i) => {
    const expected = reference.grads[(vars[i] as tf.Variable).name] as tf.Tensor;
    const diff = tf.max(tf.abs(tf.sub(grads[i] as tf.Tensor, expected))).dataSync()[0] ?? NaN;
    const scale = tf.max(tf.abs(expected)).dataSync()[0] ?? NaN;
    assert.ok(diff <= 1e-5 * Math.max(scale, 1e-6), `${w.name}: max difference ${diff} at scale ${scale}`);
  });
  tf.dispose([x, target, reference.value, ...Object.values(reference.grads), ...grads]);
  probe.dispose();
});

test('gradients match finite differences of the loss, weight by weight', () => {
  const model = smallModel(true);
  const probe = probeFromLayersModel(model, meta);
  const x = tf.randomUniform([3, 9, 9, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
  const target = tf.randomNormal([3, 10], 0, 1, 'float32', 8);
  const loss = (f: tf.Tensor2D): tf.Scalar => tf.sum(tf.square(tf.sub(f, target)));
  const grads = probe.gradients(x, loss);
  assert.equal(grads.length, probe.weights.length);
  const lossAt = (): number => tf.tidy(() => loss(probe.features(x)).dataSync()[0] ?? NaN);
  const byName = new Map(model.weights.map((w) => [w.originalName, w]));
  probe.weights.forEach((w, i) => {
    const lv = byName.get(w.name);
    assert.ok(lv);
    const original = lv.read().clone();
    const analytic = grads[i]?.dataSync() ?? new Float32Array();
    assert.deepEqual(grads[i]?.shape, w.shape);
    const values = original.dataSync();
    const eps = 1e-2;
    for (const k of [0, Math.floor(values.length / 2), values.length - 1]) {
      const plus = Float32Array.from(values);
      plus[k] = (plus[k] ?? 0) + eps;
      lv.write(tf.tensor(plus, original.shape));
      const up = lossAt();
      const minus = Float32Array.from(values);
      minus[k] = (minus[k] ?? 0) - eps;
      lv.write(tf.tensor(minus, original.shape));
      const down = lossAt();
      const numeric = (up - down) / (2 * eps);
      assert.ok(
        Math.abs(numeric - (analytic[k] ?? NaN)) <= 2e-2 * Math.max(1, Math.abs(numeric)),
        `${w.name}[${k}]: ${numeric} vs ${analytic[k]}`,
      );
    }
    lv.write(original);
  });
  tf.dispose([x, target, ...grads]);
  probe.dispose();
});

test('features equal the model prediction with batch norm in inference mode', () => {
  const model = smallModel();
  const probe = probeFromLayersModel(model, meta);
  const x = tf.randomUniform([2, 9, 9, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
  const expected = (model.predict(x) as tf.Tensor).arraySync();
  assert.deepEqual(probe.features(x).arraySync(), expected);
  probe.dispose();
});

test('the bundled probe loads offline with a stable identity that moves with weights, size and scaling', async () => {
  const folder = defaultProbeFolder();
  const a = await loadProbe(folder);
  const b = await loadProbe(folder);
  assert.equal(a.identity.id, b.identity.id);
  assert.match(a.identity.id, /^[0-9a-f]{64}$/);
  assert.equal(a.identity.inputSize, 224);
  assert.equal(a.identity.pixelScaling, 'minus1to1');
  assert.equal(a.featureSize, 1280);
  const kinds = { conv: 0, depthwise: 0, batchnorm: 0 };
  for (const w of a.weights) kinds[w.kind] += 1;
  assert.deepEqual(kinds, { conv: 35, depthwise: 17, batchnorm: 52 });
  const c = await loadProbe(folder, { inputSize: 96 });
  assert.notEqual(c.identity.id, a.identity.id);
  const d = await loadProbe(folder, { pixelScaling: 'zero1' });
  assert.notEqual(d.identity.id, a.identity.id);

  const changed = mkdtempSync(join(tmpdir(), 'probe-'));
  copyFileSync(join(folder, 'model.json'), join(changed, 'model.json'));
  copyFileSync(join(folder, 'probe.json'), join(changed, 'probe.json'));
  const bytes = readFileSync(join(folder, 'weights.bin'));
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
  writeFileSync(join(changed, 'weights.bin'), bytes);
  const e = await loadProbe(changed);
  assert.notEqual(e.identity.id, a.identity.id);
  for (const p of [a, b, c, d, e]) p.dispose();
});

test('a folder without pixel scaling is refused with a clear message', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'probe-'));
  copyFileSync(join(defaultProbeFolder(), 'model.json'), join(folder, 'model.json'));
  copyFileSync(join(defaultProbeFolder(), 'weights.bin'), join(folder, 'weights.bin'));
  await assert.rejects(loadProbe(folder), /pixel scaling not given/);
});

test('gradients through the bundled probe come back for every weight, with memory flat', async () => {
  const probe = await loadProbe(defaultProbeFolder());
  const x = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const grads = probe.gradients(x, (f) => tf.mean(tf.square(f)));
  assert.equal(grads.length, probe.weights.length);
  grads.forEach((g, i) => assert.deepEqual(g.shape, probe.weights[i]?.shape));
  const norm = tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.square(g)))).dataSync()[0] ?? 0);
  assert.ok(norm > 0 && Number.isFinite(norm));
  tf.dispose(grads);
  assert.equal(tf.memory().numTensors, before);
  probe.dispose();
});

test('on the bundled MobileNetV2 the probe executor reproduces tfjs-layers, features and gradients', async () => {
  const model = await tfl.loadLayersModel(tf.io.fromMemory(readLayersArtifacts(defaultProbeFolder())));
  const probe = probeFromLayersModel(model, { ...meta, inputSize: 224 });
  const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 12) as tf.Tensor4D;
  const reference = model.apply(x, { training: false }) as tf.Tensor;
  const features = probe.features(x);
  const diff = tf.max(tf.abs(tf.sub(features, reference))).dataSync()[0] ?? NaN;
  assert.ok(diff < 1e-5 * Math.max(1, tf.max(tf.abs(reference)).dataSync()[0] ?? 0), `features differ by ${diff}`);
  const loss = (f: tf.Tensor2D): tf.Scalar => tf.mean(tf.square(f));
  const grads = probe.gradients(x, loss);
  const byName = new Map(model.weights.map((w) => [w.originalName, w.read() as tf.Variable]));
  const vars = probe.weights.map((w) => byName.get(w.name) as tf.Variable);
  const expected = tf.variableGrads(() => loss(model.apply(x, { training: false }) as tf.Tensor2D), vars);
  probe.weights.forEach((w, i) => {
    const e = expected.grads[(vars[i] as tf.Variable).name] as tf.Tensor;
    const d = tf.max(tf.abs(tf.sub(grads[i] as tf.Tensor, e))).dataSync()[0] ?? NaN;
    const scale = tf.max(tf.abs(e)).dataSync()[0] ?? NaN;
    assert.ok(d <= 1e-4 * Math.max(scale, 1e-8), `${w.name}: max difference ${d} at scale ${scale}`);
  });
  tf.dispose([x, reference, features, expected.value, ...Object.values(expected.grads), ...grads]);
  probe.dispose();
});

test('a model with layers outside the executor set still works, through model.apply', () => {
  const input = tfl.input({ shape: [6, 6, 2] });
  let h = tfl.layers
    .conv2d({ filters: 4, kernelSize: 3, useBias: false, name: 'c' })
    .apply(input) as tfl.SymbolicTensor;
  h = tfl.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.flatten().apply(h) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: h });
  const probe = probeFromLayersModel(model, { ...meta, inputSize: 6 });
  const x = tf.randomUniform([2, 6, 6, 2], -1, 1, 'float32', 13) as tf.Tensor4D;
  assert.deepEqual(probe.features(x).arraySync(), (model.predict(x) as tf.Tensor).arraySync());
  const grads = probe.gradients(x, (f) => tf.sum(tf.square(f)));
  assert.deepEqual(
    grads.map((g) => g.shape),
    [[3, 3, 2, 4]],
  );
  tf.dispose([x, ...grads]);
  probe.dispose();
});
