import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ingestAndStore, IngestionError, StoredDataset } from '../../src/images/index.js';
import { classFolder, tempDir } from './helpers/fixtures.js';

test('a successful ingestion lands in its final folder and leaves no staging behind', async (t) => {
  const source = await tempDir(t);
  const root = await tempDir(t);
  await classFolder(source, { a: 5, b: 5 });
  const { result, dir, persisted } = await ingestAndStore(
    { path: source, size: 8 },
    { datasetsRoot: root, name: 'ds-1' },
    async (r, d) => `${r.imageCount}@${d}`,
  );
  assert.equal(dir, join(root, 'ds-1'));
  assert.equal(persisted, `10@${dir}`);
  assert.deepEqual(await readdir(root), ['ds-1']);
  const stored = await StoredDataset.open(dir);
  t.after(() => stored.close());
  assert.equal(stored.manifest.count, result.imageCount);
});

test('a failed ingestion leaves nothing in the datasets root', async (t) => {
  const source = await tempDir(t);
  const root = await tempDir(t);
  await classFolder(source, { a: 5, b: 5 });
  await writeFile(join(source, 'a', 'bad.png'), 'not a png');
  let persisted = false;
  await assert.rejects(
    ingestAndStore({ path: source, size: 8 }, { datasetsRoot: root, name: 'ds-2' }, async () => {
      persisted = true;
    }),
    (e: unknown) => e instanceof IngestionError && e.code === 'BAD_IMAGES',
  );
  assert.equal(persisted, false);
  assert.deepEqual(await readdir(root), []);
});

test('when recording the dataset fails, the moved folder is removed again', async (t) => {
  const source = await tempDir(t);
  const root = await tempDir(t);
  await classFolder(source, { a: 5, b: 5 });
  await assert.rejects(
    ingestAndStore({ path: source, size: 8 }, { datasetsRoot: root, name: 'ds-3' }, async () => {
      throw new Error('database unavailable');
    }),
    /database unavailable/,
  );
  assert.deepEqual(await readdir(root), []);
});

test('an existing dataset folder is never overwritten', async (t) => {
  const source = await tempDir(t);
  const root = await tempDir(t);
  await classFolder(source, { a: 5, b: 5 });
  await mkdir(join(root, 'taken'));
  await writeFile(join(root, 'taken', 'keep.txt'), 'mine');
  await assert.rejects(
    ingestAndStore({ path: source, size: 8 }, { datasetsRoot: root, name: 'taken' }, async () => undefined),
    (e: unknown) => e instanceof IngestionError && e.code === 'TARGET_EXISTS',
  );
  assert.deepEqual(await readdir(join(root, 'taken')), ['keep.txt']);
  await assert.rejects(
    ingestAndStore({ path: source, size: 8 }, { datasetsRoot: root, name: '../x' }, async () => undefined),
    (e: unknown) => e instanceof IngestionError && e.code === 'BAD_OPTIONS',
  );
});
