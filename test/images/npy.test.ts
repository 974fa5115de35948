import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeNpyFloat32, parseNpy, NpyFormatError } from '../../src/images/npy.js';

test('float32 arrays survive an encode/parse round trip', () => {
  const values = new Float32Array([0, 1.5, -2, 3.25, 1e-9, 7]);
  const parsed = parseNpy(encodeNpyFloat32(values, [2, 3]));
  assert.deepEqual(parsed.shape, [2, 3]);
  assert.equal(parsed.data.kind, 'numeric');
  assert.deepEqual(Array.from(parsed.data.values as Float32Array), Array.from(values));
});

test('a file without the magic is refused', () => {
  assert.throws(() => parseNpy(new Uint8Array(20)), NpyFormatError);
});

test('truncated data is refused with the byte counts', () => {
  const bytes = encodeNpyFloat32(new Float32Array(8), [8]);
  assert.throws(() => parseNpy(bytes.subarray(0, bytes.length - 4)), /truncated/);
});
