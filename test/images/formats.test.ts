import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { encodeNpy, ingestDataset, IngestionError, StoredDataset } from '../../src/images/index.js';
import { encodeBmp } from './helpers/bmp.js';
import { encodeDicom } from './helpers/dicom.js';
import { classFolder, pattern, tempDir, writeImage } from './helpers/fixtures.js';
import { encodeTiffGrey16 } from './helpers/tiff.js';

test('a folder mixing PNG, JPEG, TIFF, WebP and BMP ingests with one record per image', async (t) => {
  const root = await tempDir(t);
  const staging = await tempDir(t);
  let seed = 1;
  for (const cls of ['benign', 'malignant']) {
    for (const format of ['png', 'jpeg', 'tiff', 'webp'] as const)
      await writeImage(join(root, cls, `${format}-${seed}.${format}`), format, 20, 16, 3, seed++);
    await writeFile(join(root, cls, `x-${seed}.bmp`), encodeBmp(20, 16, pattern(20, 16, 3, seed++), 3));
  }
  const progress: string[] = [];
  const result = await ingestDataset({ path: root, size: 16, minClassSize: 5 }, { stagingDir: staging }, (p) =>
    progress.push(`${p.stage}:${p.done}/${p.total}`),
  );
  assert.equal(result.format, 'folder');
  assert.deepEqual(result.classCounts, { benign: 5, malignant: 5 });
  assert.deepEqual(result.profile.formats, { png: 2, jpeg: 2, tiff: 2, webp: 2, bmp: 2 });
  assert.equal(result.channels, 3);
  assert.ok(progress.includes('normalising:10/10'));
  assert.ok(progress.includes('scanning:10/10'));
  const stored = await StoredDataset.open(staging);
  t.after(() => stored.close());
  assert.equal(stored.manifest.refs.length, 10);
  assert.ok(stored.manifest.refs.includes('malignant/x-10.bmp'));
});

test('a 16-bit greyscale TIFF folder is stretched to the full 8-bit range, keeping order', async (t) => {
  const root = await tempDir(t);
  const staging = await tempDir(t);
  for (const [c, cls] of ['nuclei', 'background'].entries()) {
    for (let i = 0; i < 5; i++) {
      // 12-bit microscopy values: a horizontal ramp from 1000 to 1000 + 30*step
      const values = new Uint16Array(32 * 32);
      for (let p = 0; p < values.length; p++) values[p] = 1000 + (p % 32) * (50 + 10 * i + 100 * c);
      await mkdir(join(root, cls), { recursive: true });
      await writeFile(join(root, cls, `${i}.tif`), encodeTiffGrey16(32, 32, values));
    }
  }
  const result = await ingestDataset({ path: root, size: 32 }, { stagingDir: staging });
  assert.equal(result.channels, 1);
  assert.deepEqual(result.profile.bitDepths, { '16': 10 });
  assert.deepEqual(result.classNames, ['background', 'nuclei']);
  const stored = await StoredDataset.open(staging);
  t.after(() => stored.close());
  const { images } = await stored.readBatch([0]);
  const row = Array.from(images.subarray(0, 32));
  assert.equal(row[0], 0);
  assert.equal(row[31], 255);
  for (let x = 1; x < 32; x++) assert.ok(row[x]! > row[x - 1]!, `ramp not increasing at ${x}`);
});

test('a generated DICOM series (labels from folders, extension-less files) ingests as DICOM', async (t) => {
  const root = await tempDir(t);
  const staging = await tempDir(t);
  for (const [c, cls] of ['normal', 'effusion'].entries()) {
    for (let i = 0; i < 6; i++) {
      const pixels = Array.from({ length: 24 * 24 }, (_, p) => (p * (i + 1) * 13 + c * 500) % 4096);
      const bytes = encodeDicom({
        width: 24,
        height: 24,
        pixels,
        bitsStored: 12,
        photometric: i % 2 ? 'MONOCHROME1' : 'MONOCHROME2',
        windowCenter: 2048,
        windowWidth: 4096,
        rescaleSlope: 1,
        rescaleIntercept: -1024,
      });
      await mkdir(join(root, cls), { recursive: true });
      await writeFile(join(root, cls, i < 3 ? `IM${i}` : `1.2.840.${i}.dcm`), bytes);
    }
  }
  await writeFile(join(root, 'README.txt'), 'not an image');
  const result = await ingestDataset({ path: root, size: 24 }, { stagingDir: staging });
  assert.equal(result.format, 'dicom');
  assert.deepEqual(result.classCounts, { effusion: 6, normal: 6 });
  assert.equal(result.channels, 1);
  assert.deepEqual(result.profile.bitDepths, { '12': 12 });
  assert.deepEqual(result.profile.formats, { dicom: 12 });
});

test('format dicom refuses non-DICOM images, naming them', async (t) => {
  const root = await tempDir(t);
  const staging = await tempDir(t);
  await classFolder(root, { a: 5, b: 5 });
  await assert.rejects(
    ingestDataset({ path: root, format: 'dicom', size: 8 }, { stagingDir: staging }),
    (e: IngestionError) =>
      e.code === 'BAD_IMAGES' && e.details.length === 10 && e.details.every((d) => d.code === 'NOT_DICOM'),
  );
});

test('a CSV manifest with split and group columns keeps the given splits and groups', async (t) => {
  const root = await tempDir(t);
  const staging = await tempDir(t);
  const rows = ['filename,label,split,patient_id'];
  for (let i = 0; i < 12; i++) {
    const path = `images/sub dir/${i}.png`;
    await writeImage(join(root, 'images', 'sub dir', `${i}.png`), 'png', 10, 10, 1, i + 1);
    rows.push(`"${path}",${i % 2 ? 'pneumonia' : 'normal'},${i < 8 ? 'train' : 'test'},p${Math.floor(i / 2)}`);
  }
  await writeFile(join(root, 'labels.csv'), rows.join('\r\n') + '\r\n');
  const result = await ingestDataset({ path: join(root, 'labels.csv'), size: 10 }, { stagingDir: staging });
  assert.equal(result.format, 'csv');
  assert.equal(result.splitSource, 'given');
  assert.deepEqual(result.splitCounts, { train: 8, test: 4 });
  const stored = await StoredDataset.open(staging);
  t.after(() => stored.close());
  assert.equal(stored.manifest.groups?.[3], 'p1');
  assert.deepEqual(stored.select({ split: 'test' }), [8, 9, 10, 11]);
});

test('a folder holding one CSV is read through the manifest', async (t) => {
  const root = await tempDir(t);
  const staging = await tempDir(t);
  await classFolder(root, { x: 5, y: 5 }, { format: 'jpeg' });
  const rows = ['path,label'];
  for (const c of ['x', 'y']) for (let i = 0; i < 5; i++) rows.push(`${c}/${i}.jpg,${c === 'x' ? 'cat' : 'dog'}`);
  await writeFile(join(root, 'manifest.csv'), rows.join('\n'));
  const result = await ingestDataset({ path: root, size: 8 }, { stagingDir: staging });
  assert.equal(result.format, 'csv');
  assert.deepEqual(result.classCounts, { cat: 5, dog: 5 });
});

test('a folder with train/val/test at the top keeps those splits', async (t) => {
  const root = await tempDir(t);
  const staging = await tempDir(t);
  await classFolder(join(root, 'train'), { a: 5, b: 5 });
  await classFolder(join(root, 'Validation'), { a: 2, b: 2 });
  const result = await ingestDataset({ path: root, size: 8, split: { seed: 1 } }, { stagingDir: staging });
  assert.equal(result.splitSource, 'given');
  assert.deepEqual(result.splitCounts, { train: 10, val: 4 });
  assert.ok(result.profile.warnings.some((w) => w.code === 'SPLIT_REQUEST_IGNORED'));
});

test('a generic npz with float images in 0..1, string labels and NCHW layout', async (t) => {
  const dir = await tempDir(t);
  const staging = await tempDir(t);
  const n = 10;
  const images = new Float32Array(n * 3 * 8 * 8);
  for (let i = 0; i < images.length; i++) images[i] = (i % 17) / 16;
  const npz = zipSync({
    'images.npy': encodeNpy({ shape: [n, 3, 8, 8], data: { kind: 'numeric', dtype: 'f4', values: images } }),
    'labels.npy': encodeNpy({
      shape: [n],
      data: {
        kind: 'unicode',
        dtype: 'U',
        values: Array.from({ length: n }, (_, i) => (i < 5 ? 'melanoma' : 'nevus')),
      },
    }),
  });
  await writeFile(join(dir, 'skin.npz'), npz);
  const result = await ingestDataset(
    { path: join(dir, 'skin.npz'), size: 8, split: { seed: 3, fractions: { train: 0.6, val: 0.2, test: 0.2 } } },
    { stagingDir: staging },
  );
  assert.deepEqual(result.classCounts, { melanoma: 5, nevus: 5 });
  assert.equal(result.splitSource, 'stratified');
  assert.deepEqual(result.splitCounts, { train: 6, val: 2, test: 2 });
  assert.deepEqual(result.profile.bitDepths, { '32': 10 });
  const stored = await StoredDataset.open(staging);
  t.after(() => stored.close());
  const { images: px } = await stored.readBatch([0]);
  // HWC pixel (0,0) gathers elements 0, 64 and 128 (one per channel plane) of the NCHW array
  assert.deepEqual(
    Array.from(px.subarray(0, 3)),
    [0, 1, 2].map((c) => Math.round((((c * 64) % 17) / 16) * 255)),
  );
});

test('images of different sizes are resized to the working size and the mix is reported', async (t) => {
  const root = await tempDir(t);
  const staging = await tempDir(t);
  for (let i = 0; i < 5; i++) {
    await writeImage(join(root, 'a', `${i}.png`), 'png', 40 + i, 30, 3, i + 1);
    await writeImage(join(root, 'b', `${i}.png`), 'png', 30, 30, 3, i + 11);
  }
  const result = await ingestDataset({ path: root, size: 16, fit: 'contain' }, { stagingDir: staging });
  assert.equal(result.profile.sizes.distinct, 6);
  assert.equal(result.profile.sizes.top[0]?.count, 5);
  assert.ok(result.profile.warnings.some((w) => w.code === 'MIXED_SIZES'));
  assert.equal(result.storedBytes, 10 * 16 * 16 * 3);
});

test('DICOM files labelled by a CSV manifest ingest as DICOM', async (t) => {
  const root = await tempDir(t);
  const staging = await tempDir(t);
  const rows = ['path,label,patient_id'];
  for (let i = 0; i < 10; i++) {
    const pixels = Array.from({ length: 16 * 16 }, (_, p) => (p * (i + 3)) % 256);
    await mkdir(join(root, 'studies'), { recursive: true });
    await writeFile(
      join(root, 'studies', `${i}.dcm`),
      encodeDicom({ width: 16, height: 16, pixels, bitsAllocated: 8 }),
    );
    rows.push(`studies/${i}.dcm,${i % 2 ? 'fracture' : 'no fracture'},P${i % 5}`);
  }
  await writeFile(join(root, 'labels.csv'), rows.join('\n'));
  const result = await ingestDataset(
    { path: root, format: 'dicom', size: 16, split: { seed: 1, fractions: { train: 0.6, val: 0.2, test: 0.2 } } },
    { stagingDir: staging },
  );
  assert.equal(result.format, 'dicom');
  assert.deepEqual(result.classCounts, { fracture: 5, 'no fracture': 5 });
  assert.equal(result.splitSource, 'group');
});
