import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import sharp from 'sharp';
import { encodeNpy, ingestDataset, IngestionError, type IngestionErrorCode } from '../../src/images/index.js';
import { encodeDicom } from './helpers/dicom.js';
import { classFolder, imageBytes, tempDir, writeImage } from './helpers/fixtures.js';

function code(expected: IngestionErrorCode, check?: (e: IngestionError) => void) {
  return (e: unknown) => {
    assert.ok(e instanceof IngestionError, `expected an IngestionError, got ${String(e)}`);
    assert.equal(e.code, expected, e.message);
    check?.(e);
    return true;
  };
}

test('corrupt and truncated images are all reported by path, and nothing is left in staging', async (t) => {
  const root = await tempDir(t);
  const staging = await tempDir(t);
  await classFolder(root, { a: 6, b: 6 });
  const jpeg = await imageBytes('jpeg', 64, 64, 3, 99);
  await writeFile(join(root, 'a', 'truncated.jpg'), jpeg.subarray(0, jpeg.length - 200));
  const png = await imageBytes('png', 64, 64, 3, 98);
  await writeFile(join(root, 'b', 'truncated.png'), png.subarray(0, Math.floor(png.length * 0.7)));
  await writeFile(join(root, 'b', 'garbage.png'), Buffer.from('this is not a png at all, just text pretending'));
  await assert.rejects(
    ingestDataset({ path: root, size: 8 }, { stagingDir: staging }),
    code('BAD_IMAGES', (e) => {
      assert.deepEqual(
        e.details.map((d) => d.file),
        ['a/truncated.jpg', 'b/garbage.png', 'b/truncated.png'],
      );
      assert.deepEqual(
        e.details.map((d) => d.code),
        ['CORRUPT_IMAGE', 'UNSUPPORTED_IMAGE', 'CORRUPT_IMAGE'],
      );
      assert.ok(e.details.every((d) => d.reason.length > 0 && !/unknown error/i.test(d.reason)));
      assert.match(e.message, /a\/truncated\.jpg/);
      assert.equal(e.appCode, 'unprocessable');
    }),
  );
  assert.deepEqual(await readdir(staging), []);
});

test('skip-bad leaves the bad images out and lists them in the profile', async (t) => {
  const root = await tempDir(t);
  const staging = await tempDir(t);
  await classFolder(root, { a: 6, b: 6 });
  await writeFile(join(root, 'a', 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
  const result = await ingestDataset({ path: root, size: 8, skipBad: true }, { stagingDir: staging });
  assert.equal(result.imageCount, 12);
  assert.deepEqual(
    result.profile.skipped.map((s) => s.file),
    ['a/broken.jpg'],
  );
  assert.ok(result.profile.warnings.some((w) => w.code === 'SKIPPED_IMAGES'));
});

test('skipping bad images cannot push a class under the minimum unnoticed', async (t) => {
  const root = await tempDir(t);
  const staging = await tempDir(t);
  await classFolder(root, { a: 6, b: 5 });
  await writeFile(join(root, 'b', 'broken.png'), Buffer.from('nope'));
  await writeFile(join(root, 'b', 'broken2.png'), Buffer.from('nope'));
  await classFolder(join(root, 'unused'), {});
  const result = await ingestDataset({ path: root, size: 8, skipBad: true }, { stagingDir: staging });
  assert.deepEqual(result.classCounts, { a: 6, b: 5 });
  await writeFile(join(root, 'a', 'broken.png'), Buffer.from('nope'));
  const truncated = await imageBytes('png', 32, 32, 3, 5);
  await writeFile(join(root, 'b', '0.png'), truncated.subarray(0, 100));
  await assert.rejects(
    ingestDataset({ path: root, size: 8, skipBad: true }, { stagingDir: await tempDir(t) }),
    code('CLASS_TOO_SMALL', (e) => assert.match(e.message, /after leaving out/)),
  );
});

test('unsupported inputs are refused with UNSUPPORTED_FORMAT', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'data.bin'), Buffer.alloc(4000, 7));
  await assert.rejects(
    ingestDataset({ path: join(dir, 'data.bin') }, { stagingDir: await tempDir(t) }),
    code('UNSUPPORTED_FORMAT', (e) => assert.equal(e.file, 'data.bin')),
  );
});

test('an image type the decoders do not read is reported per file', async (t) => {
  const root = await tempDir(t);
  await classFolder(root, { a: 5, b: 5 });
  await writeFile(join(root, 'a', 'scan.tif'), Buffer.from('II*\0garbage that is not a tiff directory'));
  await assert.rejects(
    ingestDataset({ path: root, size: 8 }, { stagingDir: await tempDir(t) }),
    code('BAD_IMAGES', (e) => assert.equal(e.details[0]?.file, 'a/scan.tif')),
  );
});

test('a missing input is INPUT_NOT_FOUND', async (t) => {
  await assert.rejects(
    ingestDataset({ path: '/nonexistent/dataset' }, { stagingDir: await tempDir(t) }),
    code('INPUT_NOT_FOUND'),
  );
});

test('a folder without images is EMPTY_DATASET', async (t) => {
  const root = await tempDir(t);
  await mkdir(join(root, 'a'));
  await writeFile(join(root, 'a', 'notes.txt'), 'no images here');
  await assert.rejects(ingestDataset({ path: root }, { stagingDir: await tempDir(t) }), code('EMPTY_DATASET'));
});

test('a folder with one class is refused', async (t) => {
  const root = await tempDir(t);
  await classFolder(root, { only: 8 });
  await assert.rejects(
    ingestDataset({ path: root, size: 8 }, { stagingDir: await tempDir(t) }),
    code('ONE_CLASS', (e) => assert.match(e.message, /'only'/)),
  );
});

test('classes below the minimum are refused; the minimum is configurable', async (t) => {
  const root = await tempDir(t);
  await classFolder(root, { big: 6, small: 4, tiny: 3 });
  await assert.rejects(
    ingestDataset({ path: root, size: 8 }, { stagingDir: await tempDir(t) }),
    code('CLASS_TOO_SMALL', (e) => assert.match(e.message, /'small' \(4\), 'tiny' \(3\)/)),
  );
  const result = await ingestDataset({ path: root, size: 8, minClassSize: 3 }, { stagingDir: await tempDir(t) });
  assert.deepEqual(result.classCounts, { big: 6, small: 4, tiny: 3 });
  assert.ok(result.profile.warnings.some((w) => w.code === 'TINY_CLASSES'));
});

test('CSV rows naming files that do not exist are all listed', async (t) => {
  const root = await tempDir(t);
  await classFolder(root, { a: 5, b: 5 });
  const rows = ['path,label'];
  for (const c of ['a', 'b']) for (let i = 0; i < 5; i++) rows.push(`${c}/${i}.png,${c}`);
  rows.push('a/missing1.png,a', 'b/missing2.png,b');
  await writeFile(join(root, 'labels.csv'), rows.join('\n'));
  await assert.rejects(
    ingestDataset({ path: join(root, 'labels.csv'), size: 8 }, { stagingDir: await tempDir(t) }),
    code('LABEL_WITHOUT_FILE', (e) =>
      assert.deepEqual(
        e.details.map((d) => d.file),
        ['a/missing1.png (line 12)', 'b/missing2.png (line 13)'],
      ),
    ),
  );
});

test('image files that no label names are refused unless ignored', async (t) => {
  const root = await tempDir(t);
  await classFolder(root, { a: 5, b: 5 });
  await writeImage(join(root, 'stray.png'), 'png', 8, 8, 3, 77);
  await assert.rejects(
    ingestDataset({ path: root, size: 8 }, { stagingDir: await tempDir(t) }),
    code('UNLABELLED_FILES', (e) => assert.equal(e.file, 'stray.png')),
  );
  const result = await ingestDataset({ path: root, size: 8, ignoreUnlabelled: true }, { stagingDir: await tempDir(t) });
  assert.equal(result.imageCount, 10);
  assert.ok(result.profile.warnings.some((w) => w.code === 'IGNORED_FILES' && /stray\.png/.test(w.message)));

  const rows = ['path,label', ...['a', 'b'].flatMap((c) => [0, 1, 2, 3, 4].map((i) => `${c}/${i}.png,${c}`))];
  await writeFile(join(root, 'labels.csv'), rows.slice(0, -1).join('\n'));
  await assert.rejects(
    ingestDataset({ path: join(root, 'labels.csv'), size: 8 }, { stagingDir: await tempDir(t) }),
    code('UNLABELLED_FILES', (e) =>
      assert.deepEqual(
        e.details.map((d) => d.file),
        ['b/4.png', 'stray.png'],
      ),
    ),
  );
});

test('a manifest without the needed columns, or pointing outside its folder, is refused', async (t) => {
  const root = await tempDir(t);
  await classFolder(join(root, 'data'), { a: 5, b: 5 });
  await writeFile(join(root, 'data', 'bad.csv'), 'image,comment\na/0.png,x\n');
  await assert.rejects(
    ingestDataset({ path: join(root, 'data', 'bad.csv') }, { stagingDir: await tempDir(t) }),
    code('BAD_MANIFEST', (e) => assert.match(e.message, /label column/)),
  );
  await writeFile(join(root, 'data', 'escape.csv'), 'path,label\n../outside.png,a\n');
  await assert.rejects(
    ingestDataset({ path: join(root, 'data', 'escape.csv') }, { stagingDir: await tempDir(t) }),
    code('BAD_MANIFEST', (e) => assert.match(e.message, /line 2/)),
  );
  await writeFile(join(root, 'data', 'split.csv'), 'path,label,split\na/0.png,a,holdout\n');
  await assert.rejects(
    ingestDataset({ path: join(root, 'data', 'split.csv') }, { stagingDir: await tempDir(t) }),
    code('BAD_MANIFEST', (e) => assert.match(e.message, /holdout/)),
  );
});

test('an even mix of channel counts is refused by default, naming the minority; channels 3 converts them', async (t) => {
  const root = await tempDir(t);
  await classFolder(root, { a: 5, b: 5 }, { channels: 3 });
  await writeImage(join(root, 'b', 'grey.png'), 'png', 12, 12, 1, 500);
  await writeImage(join(root, 'a', 'grey.png'), 'png', 12, 12, 1, 501);
  await assert.rejects(
    ingestDataset({ path: root, size: 8 }, { stagingDir: await tempDir(t) }),
    code('MIXED_CHANNELS', (e) => {
      assert.equal(e.file, 'a/grey.png');
      assert.match(e.message, /2 greyscale and 10 colour/);
      assert.match(e.message, /give channels 1 \(greyscale\) or channels 3 \(colour\)/);
    }),
  );
  const result = await ingestDataset({ path: root, size: 8, channels: 3 }, { stagingDir: await tempDir(t) });
  assert.equal(result.channels, 3);
  assert.deepEqual(result.profile.channels, { '1': 2, '3': 10 });
  assert.equal(result.profile.normalised.channelsChoice, 'option');
});

test('images over the pixel limit (decompression bombs) are refused before decoding', async (t) => {
  const root = await tempDir(t);
  await classFolder(root, { a: 5, b: 5 });
  const bomb = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#000' } })
    .png()
    .toBuffer();
  assert.ok(bomb.length < 200_000);
  await writeFile(join(root, 'a', 'bomb.png'), bomb);
  await mkdir(join(root, 'b'), { recursive: true });
  await writeFile(
    join(root, 'b', 'bomb.dcm'),
    encodeDicom({ width: 1200, height: 1100, pixels: new Uint8Array(1200 * 1100), bitsAllocated: 8 }),
  );
  await assert.rejects(
    ingestDataset({ path: root, size: 8, limits: { maxPixels: 1_000_000 } }, { stagingDir: await tempDir(t) }),
    code('BAD_IMAGES', (e) => {
      assert.deepEqual(
        e.details.map((d) => [d.file, d.code]),
        [
          ['a/bomb.png', 'PIXEL_LIMIT'],
          ['b/bomb.dcm', 'PIXEL_LIMIT'],
        ],
      );
      assert.match(e.details[0]!.reason, /4000x3000/);
    }),
  );
});

test('npz files without labels, or with multi-label targets, are refused', async (t) => {
  const dir = await tempDir(t);
  const images = encodeNpy({
    shape: [10, 8, 8],
    data: { kind: 'numeric', dtype: 'u1', values: new Uint8Array(640).map((_, i) => i % 251) },
  });
  await writeFile(join(dir, 'a.npz'), zipSync({ 'images.npy': images }));
  await assert.rejects(
    ingestDataset({ path: join(dir, 'a.npz') }, { stagingDir: await tempDir(t) }),
    code('BAD_NPZ', (e) => assert.match(e.message, /'labels'/)),
  );
  const multi = encodeNpy({ shape: [10, 3], data: { kind: 'numeric', dtype: 'u1', values: new Uint8Array(30) } });
  await writeFile(join(dir, 'b.npz'), zipSync({ 'images.npy': images, 'labels.npy': multi }));
  await assert.rejects(
    ingestDataset({ path: join(dir, 'b.npz') }, { stagingDir: await tempDir(t) }),
    code('BAD_NPZ', (e) => assert.match(e.message, /multi-label/)),
  );
  await writeFile(join(dir, 'c.npz'), Buffer.from('PK\u0003\u0004 not really a zip'));
  await assert.rejects(ingestDataset({ path: join(dir, 'c.npz') }, { stagingDir: await tempDir(t) }), code('BAD_NPZ'));
});

test('bad options and a non-empty staging folder are refused', async (t) => {
  const root = await tempDir(t);
  await classFolder(root, { a: 5, b: 5 });
  await assert.rejects(ingestDataset({ path: root, size: 3 }, { stagingDir: await tempDir(t) }), code('BAD_OPTIONS'));
  const staging = await tempDir(t);
  await writeFile(join(staging, 'leftover'), 'x');
  await assert.rejects(
    ingestDataset({ path: root }, { stagingDir: staging }),
    code('BAD_OPTIONS', (e) => assert.match(e.message, /not empty/)),
  );
});

test('the profile flags near-constant images, duplicates and class imbalance', async (t) => {
  const root = await tempDir(t);
  await classFolder(root, { common: 20, rare: 5 });
  await writeFile(
    join(root, 'common', 'blank.png'),
    await sharp({ create: { width: 16, height: 16, channels: 3, background: '#404040' } })
      .png()
      .toBuffer(),
  );
  await writeFile(join(root, 'rare', 'copy.png'), await imageBytes('png', 12, 12, 3, 1));
  const result = await ingestDataset({ path: root, size: 8, split: { seed: 2 } }, { stagingDir: await tempDir(t) });
  const codes = result.profile.warnings.map((w) => w.code);
  for (const c of ['NEAR_CONSTANT_IMAGES', 'DUPLICATES', 'CLASS_IMBALANCE', 'TINY_CLASSES', 'MIXED_SIZES'] as const)
    assert.ok(codes.includes(c), `missing ${c} in ${codes.join(',')}`);
  assert.deepEqual(result.profile.nearConstant.examples, ['common/blank.png']);
  assert.deepEqual(result.profile.duplicates.examples, [['common/0.png', 'rare/copy.png']]);
});
