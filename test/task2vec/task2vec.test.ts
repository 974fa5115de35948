import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { Probe } from '../../src/probes/probe.js';
import { embed, type Task2VecProgress } from '../../src/task2vec/task2vec.js';
import type { LabelledImages } from '../../src/task2vec/images.js';
import { readTinyFixture, tinyProbe } from './helpers/tiny-probe.js';
import { readNpzImages } from './helpers/npz.js';

let probe: Probe;
let images: LabelledImages;
const small = { batchSize: 10, samples: 40, classifier: { epochs: 2 } };

before(async () => {
  await tf.setBackend('cpu');
  probe = tinyProbe(readTinyFixture());
  images = readNpzImages('../shared/datasets/breastmnist_28.npz', 'train', 60);
});

after(() => probe.dispose());

test('an embedding carries the per-filter hessian, unit scale and everything needed to recompute it', () => {
  const e = embed(probe, images, { ...small, seed: 5 });
  const length = probe.weights.reduce((n, w) => n + w.filters, 0);
  assert.equal(e.hessian.length, length);
  assert.deepEqual(Array.from(e.scale), new Array(length).fill(1));
  assert.ok(e.hessian.every((h) => Number.isFinite(h) && h >= 0));
  assert.ok(e.hessian.some((h) => h > 0));
  assert.equal(e.probe, probe.identity);
  assert.equal(e.method, 'montecarlo');
  assert.equal(e.options.seed, 5);
  assert.equal(e.options.classifier.learningRate, 4e-4);
  assert.equal(e.options.classifier.weightDecay, 1e-4);
  assert.equal(e.options.samples, 40);
  assert.equal(e.dataset, images.id);
  assert.equal(e.imageCount, 60);
  assert.equal(e.classCount, 2);
  assert.equal(e.backend, 'cpu');
  assert.ok(e.durationMs > 0);
  assert.ok(e.stages.fisherMs > 0 && e.stages.featuresMs > 0 && e.stages.preprocessMs > 0);
});

test('the same dataset, probe, options and seed give the identical embedding; another seed does not', () => {
  const a = embed(probe, images, { ...small, seed: 11 });
  const b = embed(probe, images, { ...small, seed: 11 });
  const c = embed(probe, images, { ...small, seed: 12 });
  assert.deepEqual(Buffer.from(a.hessian.buffer), Buffer.from(b.hessian.buffer));
  assert.notDeepEqual(Buffer.from(a.hessian.buffer), Buffer.from(c.hessian.buffer));
});

test('tensor memory is the same before and after an embedding, for both Fisher methods, and flat during it', () => {
  const before = tf.memory().numTensors;
  const during = new Map<string, Set<number>>();
  embed(probe, images, { ...small, samples: 60 }, (p) => {
    const counts = during.get(p.stage) ?? new Set<number>();
    counts.add(tf.memory().numTensors);
    during.set(p.stage, counts);
  });
  for (const [stage, counts] of during)
    assert.equal(counts.size, 1, `${stage}: tensor counts ${[...counts].join(', ')}`);
  embed(
    probe,
    { ...images, count: 6, pixels: images.pixels.subarray(0, 6 * 28 * 28), labels: Int32Array.of(0, 1, 1, 0, 1, 0) },
    { ...small, method: 'exact' },
  );
  assert.equal(tf.memory().numTensors, before);
});

test('a one-class dataset is refused with a reason', () => {
  const oneClass = { ...images, labels: new Int32Array(images.count).fill(1) };
  assert.throws(() => embed(probe, oneClass, small), /single class \(label 1\).*at least two classes/);
});

test('inconsistent image buffers and bad options are refused before any work', () => {
  assert.throws(() => embed(probe, { ...images, count: 61 }, small), /pixel bytes/);
  assert.throws(
    () => embed(probe, images, { ...small, method: 'variational' as 'exact' }),
    /unknown Fisher method 'variational'/,
  );
  assert.throws(() => embed(probe, images, { ...small, samples: 0 }), /samples must be a positive integer/);
});

test('progress is reported per stage, counting up to its total with a rate and an ETA', () => {
  const seen: Task2VecProgress[] = [];
  embed(probe, images, small, (p) => seen.push(p));
  const stages = [...new Set(seen.map((p) => p.stage))];
  assert.deepEqual(stages, ['features', 'classifier', 'fisher']);
  for (const stage of stages) {
    const mine = seen.filter((p) => p.stage === stage);
    const last = mine[mine.length - 1]!;
    assert.equal(last.done, last.total);
    assert.equal(last.etaSeconds, 0);
    mine.forEach((p, i) => {
      assert.ok(Number.isFinite(p.imagesPerSecond) && p.imagesPerSecond >= 0);
      assert.ok(Number.isFinite(p.etaSeconds) && p.etaSeconds >= 0);
      if (i > 0) assert.ok(p.done > mine[i - 1]!.done);
    });
  }
  assert.equal(seen.find((p) => p.stage === 'features')?.total, 60);
  assert.equal(seen.find((p) => p.stage === 'fisher')?.total, 40);
});

test('the exact method averages over every image once', () => {
  const few = {
    ...images,
    count: 6,
    pixels: images.pixels.subarray(0, 6 * 28 * 28),
    labels: Int32Array.of(0, 1, 1, 0, 1, 0),
  };
  const seen: Task2VecProgress[] = [];
  const e = embed(probe, few, { ...small, method: 'exact' }, (p) => seen.push(p));
  assert.equal(e.method, 'exact');
  assert.equal(seen.filter((p) => p.stage === 'fisher').at(-1)?.total, 6);
  assert.ok(e.hessian.some((h) => h > 0));
});
