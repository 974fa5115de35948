import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { zipSync, type Zippable } from 'fflate';
import { ingestDataset, IngestionError, receiveUpload, type IngestionErrorCode } from '../../src/images/index.js';
import { encodeTar, imageBytes, tempDir, type TarEntry } from './helpers/fixtures.js';

function code(expected: IngestionErrorCode, check?: (e: IngestionError) => void) {
  return (e: unknown) => {
    assert.ok(e instanceof IngestionError, `expected an IngestionError, got ${String(e)}`);
    assert.equal(e.code, expected, e.message);
    check?.(e);
    return true;
  };
}

/** Ten small PNGs in two classes, as archive entries under `prefix`. */
async function datasetEntries(prefix: string): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  let seed = 1;
  for (const c of ['cyst', 'tumour'])
    for (let i = 0; i < 5; i++) out[`${prefix}${c}/${i}.png`] = await imageBytes('png', 10, 10, 3, seed++);
  return out;
}

const toTar = (files: Record<string, Uint8Array>, extra: TarEntry[] = []) =>
  encodeTar([...Object.entries(files).map(([name, data]) => ({ name, data })), ...extra]);

async function ingestFile(
  t: Parameters<typeof tempDir>[0],
  name: string,
  bytes: Uint8Array,
  options: Record<string, unknown> = {},
) {
  const dir = await tempDir(t);
  const scratch = await tempDir(t);
  const staging = await tempDir(t);
  await writeFile(join(dir, name), bytes);
  try {
    return await ingestDataset(
      { path: join(dir, name), size: 8, ...options },
      { stagingDir: staging, scratchDir: scratch },
    );
  } finally {
    assert.deepEqual(await readdir(scratch), [], 'scratch folder left behind');
    assert.deepEqual((await readdir(staging)).length === 0 || (await readdir(staging)).includes('manifest.json'), true);
  }
}

test('a zip of a class folder wrapped in a top folder ingests', async (t) => {
  const result = await ingestFile(t, 'upload.zip', zipSync(await datasetEntries('mydata/')));
  assert.equal(result.archive, 'zip');
  assert.equal(result.format, 'folder');
  assert.deepEqual(result.classCounts, { cyst: 5, tumour: 5 });
});

test('tar and tar.gz archives ingest, long names included', async (t) => {
  const files = await datasetEntries('');
  const longDir = `${'deep/'.repeat(25)}`;
  for (let i = 0; i < 5; i++) files[`cyst/${longDir}extra${i}.png`] = await imageBytes('png', 10, 10, 3, 100 + i);
  const tar = toTar(files);
  const plain = await ingestFile(t, 'data.tar', tar);
  assert.equal(plain.archive, 'tar');
  assert.deepEqual(plain.classCounts, { cyst: 10, tumour: 5 });
  const gz = await ingestFile(t, 'data.tgz', gzipSync(tar));
  assert.equal(gz.archive, 'tar.gz');
  assert.deepEqual(gz.classCounts, { cyst: 10, tumour: 5 });
});

test('a zip holding a CSV manifest, and one holding an npz, are recognised', async (t) => {
  const files = await datasetEntries('imgs/');
  const csv = [
    'path,label',
    ...Object.keys(files).map((k) => `${k},${k.includes('cyst') ? 'benign' : 'malignant'}`),
  ].join('\n');
  const result = await ingestFile(t, 'm.zip', zipSync({ ...files, 'labels.csv': new TextEncoder().encode(csv) }));
  assert.equal(result.format, 'csv');
  assert.deepEqual(result.classCounts, { benign: 5, malignant: 5 });
  const npz = await readFile('../shared/datasets/breastmnist_28.npz');
  const fromZip = await ingestFile(t, 'wrapped.zip', zipSync({ 'breast/breastmnist_28.npz': new Uint8Array(npz) }));
  assert.equal(fromZip.format, 'npz');
  assert.equal(fromZip.imageCount, 780);
});

test('zip entries climbing out with ../ or using absolute paths are refused and nothing escapes', async (t) => {
  const files = await datasetEntries('');
  const png = files['cyst/0.png']!;
  for (const [name, bad] of [
    ['traversal.zip', '../../escaped.png'],
    ['absolute.zip', '/tmp/absolute-escape.png'],
    ['drive.zip', 'C:\\Windows\\evil.png'],
    ['backslash.zip', 'cyst\\..\\..\\evil.png'],
  ] as const) {
    const entries: Zippable = { ...files, [bad]: png };
    await assert.rejects(
      ingestFile(t, name, zipSync(entries)),
      code('ARCHIVE_UNSAFE_PATH', (e) => assert.equal(e.file, bad)),
    );
  }
  assert.equal(await stat('/tmp/absolute-escape.png').catch(() => undefined), undefined);
});

test('tar entries climbing out or absolute are refused', async (t) => {
  const files = await datasetEntries('');
  await assert.rejects(
    ingestFile(t, 'a.tar', toTar({ ...files, '../up.png': files['cyst/0.png']! })),
    code('ARCHIVE_UNSAFE_PATH'),
  );
  await assert.rejects(
    ingestFile(t, 'b.tar', toTar({ ...files, '/etc/cron.d/x': files['cyst/0.png']! })),
    code('ARCHIVE_UNSAFE_PATH'),
  );
});

test('links that escape the archive are refused; links inside it become copies', async (t) => {
  const files = await datasetEntries('');
  await assert.rejects(
    ingestFile(t, 'l1.tar', toTar(files, [{ name: 'cyst/evil.png', type: '2', linkName: '../../../etc/passwd' }])),
    code('ARCHIVE_UNSAFE_LINK', (e) => assert.equal(e.file, 'cyst/evil.png')),
  );
  await assert.rejects(
    ingestFile(t, 'l2.tar', toTar(files, [{ name: 'cyst/abs.png', type: '2', linkName: '/etc/passwd' }])),
    code('ARCHIVE_UNSAFE_LINK'),
  );
  await assert.rejects(
    ingestFile(t, 'l3.tar', toTar(files, [{ name: 'cyst/hard.png', type: '1', linkName: '../outside.png' }])),
    code('ARCHIVE_UNSAFE_LINK'),
  );
  const symlinkAttrs = { os: 3, attrs: (0o120777 << 16) >>> 0 };
  const zipLink: Zippable = { ...files, 'cyst/evil.png': [new TextEncoder().encode('../../secret.png'), symlinkAttrs] };
  await assert.rejects(ingestFile(t, 'l4.zip', zipSync(zipLink)), code('ARCHIVE_UNSAFE_LINK'));
  const zipInside: Zippable = {
    ...files,
    'tumour/alias.png': [new TextEncoder().encode('../cyst/1.png'), symlinkAttrs],
  };
  assert.deepEqual((await ingestFile(t, 'ok.zip', zipSync(zipInside))).classCounts, { cyst: 5, tumour: 6 });
  const inside = await ingestFile(
    t,
    'ok.tar',
    toTar(files, [{ name: 'tumour/alias.png', type: '2', linkName: '../cyst/0.png' }]),
  );
  assert.deepEqual(inside.classCounts, { cyst: 5, tumour: 6 });
  assert.equal(inside.profile.duplicates.groups, 1);
});

test('archives that expand past the limit are refused, zip and tar.gz alike', async (t) => {
  const files = await datasetEntries('');
  const zeros = new Uint8Array(2_000_000);
  const zip = zipSync({ ...files, 'cyst/zeros.png': zeros }, { level: 9 });
  assert.ok(zip.length < 50_000);
  await assert.rejects(
    ingestFile(t, 'bomb.zip', zip, { limits: { maxExpandedBytes: 1_000_000 } }),
    code('ARCHIVE_TOO_LARGE', (e) => assert.equal(e.appCode, 'payload-too-large')),
  );
  const tgz = gzipSync(toTar({ ...files, 'cyst/zeros.png': zeros }));
  await assert.rejects(
    ingestFile(t, 'bomb.tgz', tgz, { limits: { maxExpandedBytes: 1_000_000 } }),
    code('ARCHIVE_TOO_LARGE', (e) => assert.equal(e.file, 'cyst/zeros.png')),
  );
});

test('archives with more entries than the limit are refused', async (t) => {
  const files = await datasetEntries('');
  await assert.rejects(
    ingestFile(t, 'many.zip', zipSync(files), { limits: { maxEntries: 5 } }),
    code('ARCHIVE_TOO_MANY_ENTRIES'),
  );
  await assert.rejects(
    ingestFile(t, 'many.tar', toTar(files), { limits: { maxEntries: 5 } }),
    code('ARCHIVE_TOO_MANY_ENTRIES'),
  );
});

test('truncated or corrupt archives are ARCHIVE_CORRUPT', async (t) => {
  const tar = toTar(await datasetEntries(''));
  await assert.rejects(ingestFile(t, 'cut.tar', tar.subarray(0, 3000)), code('ARCHIVE_CORRUPT'));
  const zip = zipSync(await datasetEntries(''));
  const flipped = new Uint8Array(zip);
  flipped[200] = flipped[200]! ^ 0xff;
  await assert.rejects(ingestFile(t, 'flipped.zip', flipped), code('ARCHIVE_CORRUPT'));
});

test('an input file over the size limit is refused before it is read', async (t) => {
  await assert.rejects(
    ingestFile(t, 'big.zip', zipSync(await datasetEntries('')), { limits: { maxInputBytes: 1000 } }),
    code('INPUT_TOO_LARGE'),
  );
});

test('an upload stream over the limit is cut off and leaves no file', async (t) => {
  const dir = await tempDir(t);
  const chunks = Array.from({ length: 40 }, () => Buffer.alloc(64 * 1024, 1));
  await assert.rejects(
    receiveUpload(Readable.from(chunks), join(dir, 'up.zip'), 1_000_000, 'up.zip'),
    code('UPLOAD_TOO_LARGE', (e) => assert.equal(e.appCode, 'payload-too-large')),
  );
  assert.deepEqual(await readdir(dir), []);
  const size = await receiveUpload(Readable.from(chunks.slice(0, 10)), join(dir, 'ok.zip'), 1_000_000);
  assert.equal(size, 10 * 64 * 1024);
});
