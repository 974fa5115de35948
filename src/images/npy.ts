/**
 * NumPy .npy (format versions 1-3) reading and float32 writing.
 * Only C-order arrays; Fortran order is refused rather than silently transposed.
 */

export type NpyDtype = 'u1' | 'i1' | 'u2' | 'i2' | 'i4' | 'u4' | 'i8' | 'u8' | 'f4' | 'f8' | 'b1' | 'U';

export type NpyData =
  | {
      readonly kind: 'numeric';
      readonly dtype: Exclude<NpyDtype, 'U'>;
      readonly values:
        | Float64Array
        | Float32Array
        | Uint8Array
        | Int8Array
        | Uint16Array
        | Int16Array
        | Int32Array
        | Uint32Array
        | BigInt64Array
        | BigUint64Array;
    }
  | { readonly kind: 'unicode'; readonly dtype: 'U'; readonly values: readonly string[] };

export interface NpyArray {
  readonly shape: readonly number[];
  readonly data: NpyData;
}

export class NpyFormatError extends Error {
  override readonly name = 'NpyFormatError';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

interface Header {
  descr: string;
  fortran: boolean;
  shape: number[];
}

function parseHeader(text: string): Header {
  const descr = /'descr':\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyFormatError(`unreadable .npy header: ${text.trim()}`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isSafeInteger(n) || n < 0) throw new NpyFormatError(`bad dimension '${s}' in .npy shape`);
      return n;
    });
  return { descr, fortran: fortran === 'True', shape };
}

function copyAligned(bytes: Uint8Array, offset: number, length: number): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + length) as ArrayBuffer;
}

export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    throw new NpyFormatError('not a .npy file (bad magic)');
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new NpyFormatError(`unsupported .npy format version ${major}`);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) throw new NpyFormatError('truncated .npy header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) throw new NpyFormatError('truncated .npy header');
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  const header = parseHeader(headerText);
  if (header.fortran) throw new NpyFormatError('Fortran-ordered .npy arrays are not supported');
  const count = header.shape.reduce((a, b) => a * b, 1);
  const match = /^([<>|=])([a-zA-Z])(\d+)$/.exec(header.descr);
  if (!match) throw new NpyFormatError(`unsupported .npy dtype '${header.descr}'`);
  const [, order, code, sizeText] = match;
  const size = Number(sizeText);
  // A zero-width dtype would make any declared count free to "read", and a loop per element unbounded.
  if (!(size >= 1)) throw new NpyFormatError(`unsupported .npy dtype '${header.descr}'`);
  if (order === '>' && size > 1) throw new NpyFormatError(`big-endian .npy dtype '${header.descr}' is not supported`);

  if (code === 'U') {
    const need = count * size * 4;
    if (dataStart + need > bytes.length) throw new NpyFormatError('truncated .npy data');
    const values: string[] = [];
    for (let i = 0; i < count; i++) {
      let s = '';
      for (let c = 0; c < size; c++) {
        const cp = view.getUint32(dataStart + (i * size + c) * 4, true);
        if (cp === 0) break;
        if (cp > 0x10ffff) throw new NpyFormatError(`.npy string ${i} holds ${cp}, not a Unicode code point`);
        s += String.fromCodePoint(cp);
      }
      values.push(s);
    }
    return { shape: header.shape, data: { kind: 'unicode', dtype: 'U', values } };
  }

  const dtype = `${code}${size}` as Exclude<NpyDtype, 'U'>;
  const byteLength = count * size;
  if (dataStart + byteLength > bytes.length)
    throw new NpyFormatError(`truncated .npy data: need ${byteLength} bytes, have ${bytes.length - dataStart}`);
  const buffer = copyAligned(bytes, dataStart, byteLength);
  const values = (() => {
    switch (dtype) {
      case 'u1':
      case 'b1':
        return new Uint8Array(buffer);
      case 'i1':
        return new Int8Array(buffer);
      case 'u2':
        return new Uint16Array(buffer);
      case 'i2':
        return new Int16Array(buffer);
      case 'i4':
        return new Int32Array(buffer);
      case 'u4':
        return new Uint32Array(buffer);
      case 'i8':
        return new BigInt64Array(buffer);
      case 'u8':
        return new BigUint64Array(buffer);
      case 'f4':
        return new Float32Array(buffer);
      case 'f8':
        return new Float64Array(buffer);
      default:
        throw new NpyFormatError(`unsupported .npy dtype '${header.descr}'`);
    }
  })();
  return { shape: header.shape, data: { kind: 'numeric', dtype: dtype === 'b1' ? 'u1' : dtype, values } };
}

/** Numeric values as float64, whatever the stored dtype. */
export function toFloat64(array: NpyArray): Float64Array {
  if (array.data.kind !== 'numeric') throw new NpyFormatError('expected a numeric array, found strings');
  const v = array.data.values;
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Number(v[i]);
  return out;
}

export function encodeNpyFloat32(values: Float32Array, shape: readonly number[]): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + values.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), 10 + header.length);
  return out;
}

const DESCR: Partial<Record<string, string>> = {
  Uint8Array: '|u1',
  Int8Array: '|i1',
  Uint16Array: '<u2',
  Int16Array: '<i2',
  Int32Array: '<i4',
  Uint32Array: '<u4',
  Float32Array: '<f4',
  Float64Array: '<f8',
  BigInt64Array: '<i8',
  BigUint64Array: '<u8',
};

function withHeader(descr: string, shape: readonly number[], body: Uint8Array): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + body.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, 10 + header.length);
  return out;
}

/** Any numeric typed array (little-endian) or a unicode string array, as NumPy writes them. */
export function encodeNpy(array: NpyArray): Uint8Array {
  if (array.data.kind === 'unicode') {
    const values = array.data.values;
    const width = Math.max(1, ...values.map((s) => [...s].length));
    const body = new Uint8Array(values.length * width * 4);
    const view = new DataView(body.buffer);
    values.forEach((s, i) => [...s].forEach((ch, c) => view.setUint32((i * width + c) * 4, ch.codePointAt(0)!, true)));
    return withHeader(`<U${width}`, array.shape, body);
  }
  const v = array.data.values;
  const descr = DESCR[v.constructor.name];
  if (!descr) throw new NpyFormatError(`cannot encode ${v.constructor.name}`);
  return withHeader(descr, array.shape, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
}
