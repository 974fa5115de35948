import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBmp, BmpError } from '../../src/images/bmp.js';
import { encodeBmp } from './helpers/bmp.js';
import { pattern } from './helpers/fixtures.js';

test('24-bit BMP decodes to the RGB pixels it was written from', () => {
  const pixels = pattern(5, 3, 3, 1);
  const img = decodeBmp(encodeBmp(5, 3, pixels, 3));
  assert.equal(img.channels, 3);
  assert.deepEqual([img.width, img.height], [5, 3]);
  assert.deepEqual(Array.from(img.data), Array.from(pixels));
});

test('8-bit BMP with a grey palette decodes to one channel', () => {
  const pixels = pattern(7, 4, 1, 2);
  const img = decodeBmp(encodeBmp(7, 4, pixels, 1));
  assert.equal(img.channels, 1);
  assert.deepEqual(Array.from(img.data), Array.from(pixels));
});

test('truncated BMP pixel data is refused', () => {
  const bytes = encodeBmp(8, 8, pattern(8, 8, 3, 3), 3);
  assert.throws(
    () => decodeBmp(bytes.subarray(0, bytes.length - 10)),
    (e: unknown) => e instanceof BmpError && /truncated/.test(e.message),
  );
});
