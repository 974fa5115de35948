import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initCompute } from '../../src/compute/index.js';
import { loadProbe } from '../../src/probes/index.js';
import type { LabelledImages } from '../../src/task2vec/images.js';
import { embed, embedParallel, type Task2VecProgress } from '../../src/task2vec/task2vec.js';
import { readNpzImages } from './helpers/npz.js';
import { readTinyFixture, saveTinyProbeFolder } from './helpers/tiny-probe.js';

let folder: string;
let images: LabelledImages;
const options = { batchSize: 8, samples: 40, seed: 3, classifier: { epochs: 2 } };

before(async () => {
  await initCompute('cpu', () => {});
  folder = mkdtempSync(join(tmpdir(), 'task2vec-probe-'));
  await saveTinyProbeFolder(readTinyFixture(), folder);
  images = readNpzImages('../shared/datasets/breastmnist_28.npz', 'train', 50);
});

after(() => rmSync(folder, { recursive: true, force: true }));

test('worker threads give exactly the embedding of a single-thread run, for both methods', async () => {
  const probe = await loadProbe(folder);
  try {
    for (const method of ['montecarlo', 'exact'] as const) {
      const subset =
        method === 'exact'
          ? {
              ...images,
              count: 10,
              pixels: images.pixels.subarray(0, 10 * 28 * 28),
              labels: images.labels.subarray(0, 10),
            }
          : images;
      const here = embed(probe, subset, { ...options, method });
      const seen: Task2VecProgress[] = [];
      const pooled = await embedParallel(
        { folder },
        subset,
        { ...options, method },
        { workers: 2, onProgress: (p) => seen.push(p) },
      );
      assert.equal(pooled.probe.id, here.probe.id);
      assert.deepEqual(Buffer.from(pooled.hessian.buffer), Buffer.from(here.hessian.buffer), method);
      assert.equal(pooled.imageCount, subset.count);
      const fisher = seen.filter((p) => p.stage === 'fisher');
      assert.equal(fisher.at(-1)?.done, fisher.at(-1)?.total);
      assert.ok(pooled.stages.preprocessMs > 0);
    }
  } finally {
    probe.dispose();
  }
});

test('the calling thread keeps no tensors from a parallel run, and refusals come before any worker starts', async () => {
  const before = tf.memory().numTensors;
  await embedParallel({ folder }, images, options, { workers: 2 });
  assert.equal(tf.memory().numTensors, before);
  await assert.rejects(
    embedParallel({ folder }, { ...images, labels: new Int32Array(images.count) }, options, { workers: 2 }),
    /single class/,
  );
  await assert.rejects(
    embedParallel({ folder: join(folder, 'missing') }, images, options, { workers: 2 }),
    /no model\.json/,
  );
});
