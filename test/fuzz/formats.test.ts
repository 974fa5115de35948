/**
 * Byte-level parsers of outside files: .npy (datasets, embeddings), DICOM. Random and mutated bytes give a
 * value that keeps the format's promises or the parser's own error class, never another exception or a hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { deflateRawSync } from 'node:zlib';
import { encodeNpy, parseNpy, NpyFormatError, type NpyArray } from '../../src/images/npy.js';
import { decodeDicom, readDicomHeader, DicomError } from '../../src/images/dicom.js';
import { readEmbeddingNpy } from '../../src/services/embedding-import.js';
import { encodeDicom, encodeRleFrame16 } from '../images/helpers/dicom.js';
import { isAppError, mutatedBytes, outcome, settings } from './support.js';

const TRAILING_NULS = new RegExp(`${String.fromCharCode(0)}+$`);
const isNpyError = (e: unknown): e is NpyFormatError => e instanceof NpyFormatError;
const isDicomError = (e: unknown): e is DicomError => e instanceof DicomError;

const NPY_EXAMPLES: Uint8Array[] = [
  encodeNpy({ shape: [3, 2], data: { kind: 'numeric', dtype: 'u1', values: Uint8Array.of(1, 2, 3, 4, 5, 6) } }),
  encodeNpy({ shape: [4], data: { kind: 'numeric', dtype: 'f4', values: Float32Array.of(0.5, 1, 2, 3) } }),
  encodeNpy({ shape: [2, 2], data: { kind: 'numeric', dtype: 'f8', values: Float64Array.of(-1, 0, 1, 2) } }),
  encodeNpy({ shape: [2], data: { kind: 'numeric', dtype: 'i8', values: BigInt64Array.of(7n, -7n) } }),
  encodeNpy({ shape: [3], data: { kind: 'unicode', dtype: 'U', values: ['benign', 'malignant', 'x'] } }),
  encodeNpy({ shape: [1, 3], data: { kind: 'numeric', dtype: 'i2', values: Int16Array.of(-3, 0, 3) } }),
];

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

test('parseNpy: mutated and random bytes give a consistent array or NpyFormatError', async () => {
  await fc.assert(
    fc.asyncProperty(mutatedBytes(NPY_EXAMPLES), async (bytes) => {
      const got = await outcome('parseNpy', () => parseNpy(bytes), isNpyError);
      if (!got.ok) return;
      const array: NpyArray = got.value;
      assert.equal(array.data.values.length, product(array.shape), 'as many values as the shape says');
      assert.ok(array.shape.every((d) => Number.isSafeInteger(d) && d >= 0));
      // Nothing is invented: a numeric array's bytes fit in the file.
      if (array.data.kind === 'numeric') assert.ok(array.data.values.byteLength <= bytes.length);
      else assert.ok(array.data.values.length <= bytes.length);
    }),
    settings(),
  );
});

test('parseNpy: headers that declare huge or empty-typed arrays are refused without allocating them', async () => {
  const header = (descr: string, shape: string) => {
    const text = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`.padEnd(118, ' ') + '\n';
    const out = new Uint8Array(10 + text.length);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
    new DataView(out.buffer).setUint16(8, text.length, true);
    out.set(new TextEncoder().encode(text), 10);
    return out;
  };
  // Found by the first property (the test process died of a V8 fatal error): a zero-width dtype made the
  // declared count free, and '<U0' with a shape of 10^15 looped (and allocated) once per declared element.
  for (const [descr, shape] of [
    ['<U0', '(1000000000000000,)'],
    ['<u0', '(1000000000000000,)'],
    ['<f4', '(4294967296, 4294967296)'],
    ['<U4', '(9007199254740991,)'],
  ] as const) {
    await outcome(`parseNpy ${descr} ${shape}`, () => parseNpy(header(descr, shape)), isNpyError).then((got) =>
      assert.equal(got.ok, false, `${descr} ${shape} was accepted`),
    );
  }
});

test('parseNpy: the counterexamples the fuzzing found are refused with NpyFormatError', async () => {
  // A version byte of 253 sent the header length to a 32-bit read past the end of a 10-byte file (RangeError).
  const shortV2 = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 253, 118, 0, 123);
  // A '<U' string holding a value above U+10FFFF made String.fromCodePoint throw a RangeError.
  const text = "{'descr': '<U1', 'fortran_order': False, 'shape': (1,), }".padEnd(117, ' ') + '\n';
  const badCodePoint = new Uint8Array(10 + text.length + 4);
  badCodePoint.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(badCodePoint.buffer).setUint16(8, text.length, true);
  badCodePoint.set(new TextEncoder().encode(text), 10);
  new DataView(badCodePoint.buffer).setUint32(10 + text.length, 0x620a0020, true);
  for (const bytes of [shortV2, badCodePoint]) {
    const got = await outcome('parseNpy', () => parseNpy(bytes), isNpyError);
    assert.equal(got.ok, false);
  }
  const embedding = await outcome('readEmbeddingNpy', () => readEmbeddingNpy(shortV2), isAppError);
  assert.equal(embedding.ok, false);
});

test('parseNpy: whatever the shape and dtype, a written array reads back equal', async () => {
  const numeric = fc.oneof(
    fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 64 }).map((v) => ({
      kind: 'numeric' as const,
      dtype: 'u1' as const,
      values: Uint8Array.from(v),
    })),
    fc.array(fc.float({ noNaN: true }), { maxLength: 64 }).map((v) => ({
      kind: 'numeric' as const,
      dtype: 'f4' as const,
      values: Float32Array.from(v),
    })),
    fc.array(fc.string({ maxLength: 6 }), { maxLength: 16 }).map((v) => ({
      kind: 'unicode' as const,
      dtype: 'U' as const,
      values: v,
    })),
  );
  await fc.assert(
    fc.asyncProperty(numeric, async (data) => {
      const array: NpyArray = { shape: [data.values.length], data };
      const back = parseNpy(encodeNpy(array));
      assert.deepEqual(back.shape, array.shape);
      if (data.kind === 'unicode') {
        // NumPy strings end at the first NUL, so a value's own trailing NULs are not kept.
        assert.deepEqual(
          back.data.values,
          data.values.map((s) => s.replace(TRAILING_NULS, '')),
        );
      } else assert.deepEqual([...back.data.values], [...data.values]);
    }),
    settings(),
  );
});

test('readEmbeddingNpy: mutated embeddings are a finite non-negative float32 vector or an invalid-request AppError', async () => {
  const examples = [
    encodeNpy({
      shape: [8],
      data: { kind: 'numeric', dtype: 'f4', values: Float32Array.from({ length: 8 }, (_, i) => i) },
    }),
    encodeNpy({ shape: [1, 4], data: { kind: 'numeric', dtype: 'f4', values: Float32Array.of(0, 0.1, 2, 3) } }),
  ];
  await fc.assert(
    fc.asyncProperty(mutatedBytes(examples), async (bytes) => {
      const got = await outcome('readEmbeddingNpy', () => readEmbeddingNpy(bytes), isAppError);
      if (!got.ok) {
        assert.equal(got.error.code, 'invalid-request');
        assert.equal(got.error.field, 'hessian');
        return;
      }
      assert.ok(got.value.length > 0);
      assert.ok(got.value.every((v) => Number.isFinite(v) && v >= 0));
    }),
    settings(),
  );
});

const ramp = (n: number) => Array.from({ length: n }, (_, i) => (i * 37) % 4096);

const DICOM_EXAMPLES: Uint8Array[] = [
  encodeDicom({ width: 8, height: 6, pixels: ramp(48), bitsAllocated: 16, bitsStored: 12 }),
  encodeDicom({ width: 6, height: 4, pixels: ramp(24).map((v) => v % 256), bitsAllocated: 8 }),
  encodeDicom({ width: 4, height: 4, pixels: ramp(16), implicit: true, transferSyntax: '1.2.840.10008.1.2' }),
  encodeDicom({
    width: 4,
    height: 3,
    pixels: ramp(12),
    deflate: true,
    transferSyntax: '1.2.840.10008.1.2.1.99',
    rescaleSlope: 2,
    rescaleIntercept: -10,
    windowCenter: 50,
    windowWidth: 100,
  }),
  encodeDicom({
    width: 5,
    height: 2,
    pixels: ramp(10),
    transferSyntax: '1.2.840.10008.1.2.5',
    encapsulatedFrame: encodeRleFrame16(ramp(10)),
  }),
  encodeDicom({ width: 3, height: 2, pixels: ramp(18).map((v) => v % 256), bitsAllocated: 8, photometric: 'RGB' }),
];

test('DICOM: mutated and random files give an image of the declared size or DicomError', async () => {
  await fc.assert(
    fc.asyncProperty(mutatedBytes(DICOM_EXAMPLES), async (bytes) => {
      const head = await outcome('readDicomHeader', () => readDicomHeader(bytes), isDicomError);
      const image = await outcome('decodeDicom', () => decodeDicom(bytes, 1_000_000), isDicomError);
      if (!image.ok) return;
      assert.ok(head.ok, 'a decodable file has a readable header');
      const { width, height, channels, data } = image.value;
      assert.deepEqual([width, height], [head.value.width, head.value.height]);
      assert.ok(channels === 1 || channels === 3);
      assert.equal(data.length, width * height * channels);
    }),
    settings(),
  );
});

test('DICOM: a deflated data set that inflates past any image is refused without inflating it all', async () => {
  // Found while writing the property above: the deflated transfer syntax inflated the whole data set in memory,
  // however large; 64 MiB of zeros is 64 KiB deflated.
  const honest = DICOM_EXAMPLES[3]!;
  // The file meta group ends where its group length (0002,0000, a UL at byte 140) says.
  const metaEnd = 144 + new DataView(honest.buffer, honest.byteOffset).getUint32(140, true);
  const bomb = Buffer.concat([honest.subarray(0, metaEnd), deflateRawSync(Buffer.alloc(64 * 1024 ** 2), { level: 9 })]);
  assert.ok(bomb.length < 128 * 1024, `${bomb.length}`);
  const got = await outcome('decodeDicom', () => decodeDicom(bomb, 1e6), isDicomError);
  assert.equal(got.ok, false);
  if (!got.ok) assert.match(got.error.message, /inflate/);
});
