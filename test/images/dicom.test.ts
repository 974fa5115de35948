import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDicom, readDicomHeader, DicomError, isDicom } from '../../src/images/dicom.js';
import sharp from 'sharp';
import { encodeDicom, encodeRleFrame16 } from './helpers/dicom.js';

const ramp = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

test('window centre/width maps modality values per the DICOM linear VOI function', async () => {
  // stored 0..199 -> modality 2s - 100 -> -100..298, window centre 100 width 200
  const pixels = ramp(200, (i) => i);
  const img = await decodeDicom(
    encodeDicom({
      width: 20,
      height: 10,
      pixels,
      rescaleSlope: 2,
      rescaleIntercept: -100,
      windowCenter: 100,
      windowWidth: 200,
    }),
    1e6,
  );
  assert.equal(img.channels, 1);
  const expect = (x: number) => {
    if (x <= 0) return 0;
    if (x > 199) return 255;
    return Math.round(((x - 99.5) / 199 + 0.5) * 255);
  };
  for (const s of [0, 10, 49, 50, 100, 149, 150, 199]) assert.equal(img.data[s], expect(2 * s - 100), `stored ${s}`);
});

test('MONOCHROME1 is inverted so that higher attenuation is brighter', async () => {
  const pixels = ramp(16, (i) => i * 100);
  const m2 = await decodeDicom(encodeDicom({ width: 4, height: 4, pixels }), 1e6);
  const m1 = await decodeDicom(encodeDicom({ width: 4, height: 4, pixels, photometric: 'MONOCHROME1' }), 1e6);
  assert.equal(m2.data[0], 0);
  assert.equal(m2.data[15], 255);
  assert.deepEqual(
    Array.from(m1.data),
    Array.from(m2.data, (v) => 255 - v),
  );
});

test('signed 12-bit data in 16 bits are sign-extended from the stored bits', async () => {
  // -1000 and 1000 as 12-bit two's complement, with garbage in the unused high bits
  const pixels = [(4096 - 1000) | 0xf000, 1000, 0, 0];
  const img = await decodeDicom(encodeDicom({ width: 2, height: 2, pixels, bitsStored: 12, signed: true }), 1e6);
  assert.deepEqual(Array.from(img.data), [0, 255, 128, 128]);
  assert.equal(img.bitsStored, 12);
});

test('implicit VR and deflated transfer syntaxes decode to the same pixels', async () => {
  const pixels = ramp(64, (i) => (i * 37) % 256);
  const base = await decodeDicom(encodeDicom({ width: 8, height: 8, pixels, bitsAllocated: 8 }), 1e6);
  const implicit = await decodeDicom(
    encodeDicom({ width: 8, height: 8, pixels, bitsAllocated: 8, implicit: true, transferSyntax: '1.2.840.10008.1.2' }),
    1e6,
  );
  const deflated = await decodeDicom(
    encodeDicom({
      width: 8,
      height: 8,
      pixels,
      bitsAllocated: 8,
      deflate: true,
      transferSyntax: '1.2.840.10008.1.2.1.99',
    }),
    1e6,
  );
  assert.deepEqual(Array.from(implicit.data), Array.from(base.data));
  assert.deepEqual(Array.from(deflated.data), Array.from(base.data));
});

test('8-bit RGB DICOM keeps its colours', async () => {
  const pixels = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
  const img = await decodeDicom(
    encodeDicom({ width: 2, height: 2, pixels, bitsAllocated: 8, photometric: 'RGB' }),
    1e6,
  );
  assert.equal(img.channels, 3);
  assert.deepEqual(Array.from(img.data), pixels);
});

test('compressed syntaxes without a codec, multi-frame files and non-DICOM bytes are refused', async () => {
  const j2k = encodeDicom({ width: 2, height: 2, pixels: [1, 2, 3, 4], transferSyntax: '1.2.840.10008.1.2.4.90' });
  assert.throws(
    () => readDicomHeader(j2k),
    (e: unknown) => e instanceof DicomError && e.unsupportedSyntax && /JPEG 2000/.test(e.message),
  );
  const multi = encodeDicom({ width: 2, height: 2, pixels: [1, 2, 3, 4], frames: 3 });
  await assert.rejects(decodeDicom(multi, 1e6), /multi-frame/);
  assert.equal(isDicom(new Uint8Array(200)), false);
  const truncated = encodeDicom({ width: 64, height: 64, pixels: ramp(4096, (i) => i) });
  await assert.rejects(decodeDicom(truncated.subarray(0, truncated.length - 100), 1e6), DicomError);
});

test('the pixel limit is checked from the header before decoding', async () => {
  const big = encodeDicom({ width: 100, height: 100, pixels: ramp(10000, () => 0), bitsAllocated: 8 });
  await assert.rejects(decodeDicom(big, 9999), /pixel limit/);
});

test('RLE lossless pixel data decodes to the same image as native data', async () => {
  const pixels = ramp(30 * 20, (i) => (i < 100 ? 500 : (i * 97) % 4096));
  const native = await decodeDicom(encodeDicom({ width: 30, height: 20, pixels }), 1e6);
  const rle = await decodeDicom(
    encodeDicom({
      width: 30,
      height: 20,
      pixels: [],
      transferSyntax: '1.2.840.10008.1.2.5',
      encapsulatedFrame: encodeRleFrame16(pixels),
    }),
    1e6,
  );
  assert.deepEqual(Array.from(rle.data), Array.from(native.data));
});

test('8-bit JPEG baseline pixel data decodes through sharp', async () => {
  const grey = Uint8Array.from(ramp(32 * 32, (i) => (i % 32) * 8));
  const jpeg = await sharp(grey, { raw: { width: 32, height: 32, channels: 1 } })
    .toColourspace('b-w')
    .jpeg({ quality: 100 })
    .toBuffer();
  const img = await decodeDicom(
    encodeDicom({
      width: 32,
      height: 32,
      pixels: [],
      bitsAllocated: 8,
      transferSyntax: '1.2.840.10008.1.2.4.50',
      encapsulatedFrame: jpeg,
    }),
    1e6,
  );
  assert.equal(img.channels, 1);
  for (let x = 0; x < 32; x++)
    assert.ok(Math.abs(img.data[5 * 32 + x]! - x * 8) <= 3, `pixel ${x}: ${img.data[5 * 32 + x]}`);
});
