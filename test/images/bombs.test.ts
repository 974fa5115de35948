import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { ingestDataset, IngestionError, limitsForUpload, EXPANSION_FACTOR } from '../../src/images/index.js';
import { ingestionProblem } from '../../src/services/ingestion-problem.js';
import { encodeNpy } from '../../src/images/npy.js';
import { encodeTar, imageBytes, tempDir } from './helpers/fixtures.js';

async function ingest(
  t: Parameters<typeof tempDir>[0],
  name: string,
  bytes: Uint8Array,
  limits: Record<string, number> = {},
) {
  const dir = await tempDir(t);
  const scratch = await tempDir(t);
  const staging = await tempDir(t);
  await writeFile(join(dir, name), bytes);
  try {
    return await ingestDataset(
      { path: join(dir, name), size: 8, limits },
      { stagingDir: staging, scratchDir: scratch },
    );
  } finally {
    assert.deepEqual(await readdir(scratch), [], 'scratch folder left behind');
  }
}

const refused = (code: string) => (e: unknown) => {
  assert.ok(e instanceof IngestionError, String(e));
  assert.equal(e.code, code, e.message);
  return true;
};

test('a small archive of zeros is refused by its compression ratio, without the overall limit near', async (t) => {
  // 1 MB of archive that would expand to 200 MB: the ratio (100) stops it after ~100 MB of budget, long before 16 GiB.
  const zeros = new Uint8Array(200 * 1024 ** 2);
  const zip = zipSync({ 'a/zeros.png': zeros, 'b/zeros.png': new Uint8Array(10) }, { level: 9 });
  assert.ok(zip.length < 1024 ** 2, `${zip.length}`);
  await assert.rejects(ingest(t, 'bomb.zip', zip), refused('ARCHIVE_TOO_LARGE'));
  const tgz = gzipSync(encodeTar([{ name: 'a/zeros.png', data: zeros }]), { level: 9 });
  await assert.rejects(ingest(t, 'bomb.tgz', tgz), refused('ARCHIVE_TOO_LARGE'));
});

test('an npz bomb is refused from its declared sizes before anything is inflated', async (t) => {
  const u1 = (length: number, shape: number[]) =>
    encodeNpy({ shape, data: { kind: 'numeric', dtype: 'u1', values: new Uint8Array(length) } });
  const npz = zipSync(
    { 'images.npy': u1(150 * 1024 ** 2, [150 * 1024, 32, 32]), 'labels.npy': u1(150 * 1024, [150 * 1024]) },
    { level: 9 },
  );

  assert.ok(npz.length < 1024 ** 2, `${npz.length}`);
  await assert.rejects(ingest(t, 'bomb.npz', npz), refused('ARCHIVE_TOO_LARGE'));
});

test('the expansion limit follows the upload limit', () => {
  assert.equal(limitsForUpload(1024 ** 2).maxExpandedBytes, EXPANSION_FACTOR * 1024 ** 2);
  assert.equal(limitsForUpload(2 ** 40).maxExpandedBytes, 16 * 1024 ** 3);
});

test('an archive over the upload-tied limit is refused even when its ratio is modest', async (t) => {
  const files: Record<string, Uint8Array> = {};
  let seed = 1;
  for (const c of ['cyst', 'tumour'])
    for (let i = 0; i < 5; i++) files[`${c}/${i}.png`] = await imageBytes('png', 64, 64, 3, seed++);
  const zip = zipSync(files, { level: 0 });
  await assert.rejects(
    ingest(
      t,
      'ok.zip',
      zip,
      limitsForUpload(Math.floor(zip.length / (EXPANSION_FACTOR * 2))) as Record<string, number>,
    ),
    refused('ARCHIVE_TOO_LARGE'),
  );
  assert.deepEqual(
    (await ingest(t, 'ok.zip', zip, limitsForUpload(zip.length) as Record<string, number>)).classCounts,
    { cyst: 5, tumour: 5 },
  );
});

/** The report's archive had 50,000 entries; the message is bounded whatever the count, so a few thousand (quicker to extract) show it. */
test('thousands of one-file classes give a short error: the count and the first few names', async (t) => {
  const png = await imageBytes('png', 4, 4, 1, 1);
  const entries = Array.from({ length: 3000 }, (_, i) => ({ name: `c${i}/x.png`, data: png }));
  const started = Date.now();
  let error: unknown;
  await ingest(t, 'many.tar', encodeTar(entries)).catch((e: unknown) => (error = e));
  assert.ok(error instanceof IngestionError, String(error));
  assert.ok(error.message.length < 500, `${error.message.length} characters`);
  assert.match(error.message, /^3000 class\(es\) with fewer than 5 images: 'c0' \(1\), .* and \d+ more$/);
  const problem = ingestionProblem(error, 'file', 'many.tar', 'x')!;
  assert.ok(JSON.stringify(problem.fields).length < 5000);
  t.diagnostic(`refused in ${Date.now() - started} ms`);
});

test('more entries than the limit are refused with the count', async (t) => {
  const png = await imageBytes('png', 4, 4, 1, 1);
  const entries = Array.from({ length: 101 }, (_, i) => ({ name: `c${i % 2}/${i}.png`, data: png }));
  await assert.rejects(
    ingest(t, 'many.tar', encodeTar(entries), { maxEntries: 100 }),
    refused('ARCHIVE_TOO_MANY_ENTRIES'),
  );
});
