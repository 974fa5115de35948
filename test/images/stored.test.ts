import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { ingestDataset, loadStoredImages, StoredDataset, IngestionError } from '../../src/images/index.js';
import { checkLabelledImages } from '../../src/task2vec/index.js';
import { classFolder, tempDir } from './helpers/fixtures.js';

async function stored(t: Parameters<typeof tempDir>[0]) {
  const source = await tempDir(t);
  const staging = await tempDir(t);
  await classFolder(source, { a: 12, b: 6 }, { size: 10 });
  await ingestDataset({ path: source, size: 10, split: { seed: 4 } }, { stagingDir: staging });
  const ds = await StoredDataset.open(staging);
  t.after(() => ds.close());
  return { ds, staging };
}

test('readBatch returns the records at the given indices, in the given order', async (t) => {
  const { ds } = await stored(t);
  const all = await ds.readBatch([...Array(18).keys()]);
  const some = await ds.readBatch([17, 3, 4, 5, 0]);
  const record = 10 * 10 * 3;
  [17, 3, 4, 5, 0].forEach((index, k) => {
    assert.deepEqual(
      some.images.subarray(k * record, (k + 1) * record),
      all.images.subarray(index * record, (index + 1) * record),
    );
    assert.equal(some.labels[k], index < 12 ? 0 : 1);
  });
  await assert.rejects(ds.readBatch([18]), RangeError);
});

test('select samples per class, by split, and stratified up to a limit, reproducibly', async (t) => {
  const { ds } = await stored(t);
  const perClass = ds.select({ perClass: 3, seed: 1 });
  assert.equal(perClass.filter((i) => i < 12).length, 3);
  assert.equal(perClass.filter((i) => i >= 12).length, 3);
  const limited = ds.select({ limit: 9, seed: 5 });
  assert.equal(limited.length, 9);
  assert.equal(limited.filter((i) => i < 12).length, 6);
  assert.deepEqual(ds.select({ limit: 9, seed: 5 }), limited);
  const train = ds.select({ split: 'train' });
  assert.ok(train.every((i) => ds.manifest.splits[i] === 'train'));
  assert.equal(train.length + ds.select({ split: 'val' }).length + ds.select({ split: 'test' }).length, 18);
});

test('a damaged store is refused with STORED_DATASET_INVALID', async (t) => {
  const { staging } = await stored(t);
  await writeFile(join(staging, 'pixels.u8'), new Uint8Array(10));
  await assert.rejects(
    StoredDataset.open(staging),
    (e: unknown) => e instanceof IngestionError && e.code === 'STORED_DATASET_INVALID',
  );
});

test('loadStoredImages gives a labelled NHWC block that Task2Vec accepts as is', async (t) => {
  const { staging } = await stored(t);
  const batch = await loadStoredImages(staging, 'target-1', { split: 'train' });
  checkLabelledImages(batch);
  assert.equal(batch.count, batch.indices.length);
  assert.equal(batch.pixels.length, batch.count * 10 * 10 * 3);
  assert.deepEqual(batch.classNames, ['a', 'b']);
});
