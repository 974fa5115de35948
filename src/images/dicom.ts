/**
 * Single-frame DICOM decoding to display-ready uint8 pixels.
 * Native (uncompressed) pixel data in implicit/explicit little-endian, explicit big-endian
 * and deflated transfer syntaxes, RLE lossless, and 8-bit JPEG baseline/extended through sharp.
 * Greyscale goes through modality rescale (slope/intercept), then the first VOI window if the
 * file has one (min-max of the modality values otherwise), then MONOCHROME1 inversion.
 */
import { inflateRawSync } from 'node:zlib';
import sharp from 'sharp';
import type { RawImage } from './bmp.js';

export class DicomError extends Error {
  override readonly name = 'DicomError';
  constructor(
    message: string,
    readonly unsupportedSyntax = false,
  ) {
    super(message);
  }
}

export interface DicomImage extends RawImage {
  readonly bitsStored: number;
  readonly photometric: string;
  readonly transferSyntax: string;
}

const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const DEFLATED_LE = '1.2.840.10008.1.2.1.99';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';
const RLE = '1.2.840.10008.1.2.5';
const JPEG_8BIT = new Set(['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51']);

const KNOWN_COMPRESSED: Record<string, string> = {
  '1.2.840.10008.1.2.4.57': 'JPEG lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG lossless SV1',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS near-lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.4.201': 'HTJ2K lossless',
  '1.2.840.10008.1.2.4.203': 'HTJ2K',
};

/**
 * A deflated data set may expand this many times its own size (the archives' ratio: no image compresses
 * better, bombs do), and to this much whatever its size, so that small images with flat backgrounds pass.
 */
const MAX_INFLATE_RATIO = 100;
const MIN_INFLATE_LIMIT = 32 * 1024 ** 2;

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UNDEFINED = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQUENCE_END = 0xfffee0dd;
const PIXEL_DATA = 0x7fe00010;

const TAG = {
  transferSyntax: 0x00020010,
  samples: 0x00280002,
  photometric: 0x00280004,
  planar: 0x00280006,
  frames: 0x00280008,
  rows: 0x00280010,
  columns: 0x00280011,
  bitsAllocated: 0x00280100,
  bitsStored: 0x00280101,
  pixelRepresentation: 0x00280103,
  windowCenter: 0x00281050,
  windowWidth: 0x00281051,
  rescaleIntercept: 0x00281052,
  rescaleSlope: 0x00281053,
} as const;

interface Element {
  readonly vr: string;
  readonly offset: number;
  readonly length: number;
  /** Encapsulated pixel data fragments (offset, length), after the basic offset table. */
  readonly fragments?: readonly (readonly [number, number])[];
}

interface Dataset {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly little: boolean;
  readonly elements: Map<number, Element>;
  readonly transferSyntax: string;
}

export function isDicom(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d
  );
}

class Reader {
  pos: number;
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly little: boolean,
    readonly explicit: boolean,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new DicomError(`truncated DICOM data at byte ${this.pos}`);
  }

  tag(): number {
    this.need(4);
    const group = this.view.getUint16(this.pos, this.little);
    const element = this.view.getUint16(this.pos + 2, this.little);
    this.pos += 4;
    return ((group << 16) | element) >>> 0;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, this.little);
    this.pos += 4;
    return v;
  }

  /** Reads one element header and returns its VR and value length, leaving pos at the value. */
  header(tag: number): { vr: string; length: number } {
    const delimiter = tag >>> 16 === 0xfffe;
    if (!this.explicit || delimiter) return { vr: delimiter ? '' : 'UN', length: this.u32() };
    this.need(4);
    const vr = String.fromCharCode(this.bytes[this.pos]!, this.bytes[this.pos + 1]!);
    if (LONG_VRS.has(vr)) {
      this.pos += 4;
      return { vr, length: this.u32() };
    }
    const length = this.view.getUint16(this.pos + 2, this.little);
    this.pos += 4;
    return { vr, length };
  }

  /** Skips a sequence of undefined length, whatever it nests. */
  skipUndefinedSequence(): void {
    for (;;) {
      const tag = this.tag();
      const length = this.u32();
      if (tag === SEQUENCE_END) return;
      if (tag !== ITEM) throw new DicomError(`malformed DICOM sequence at byte ${this.pos}`);
      if (length === UNDEFINED) this.skipUndefinedItem();
      else this.skip(length);
    }
  }

  skipUndefinedItem(): void {
    for (;;) {
      const tag = this.tag();
      if (tag === ITEM_END) {
        this.u32();
        return;
      }
      const { length } = this.header(tag);
      if (length === UNDEFINED) this.skipUndefinedSequence();
      else this.skip(length);
    }
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  fragments(): [number, number][] {
    const out: [number, number][] = [];
    let first = true;
    for (;;) {
      const tag = this.tag();
      const length = this.u32();
      if (tag === SEQUENCE_END) return out;
      if (tag !== ITEM) throw new DicomError('malformed encapsulated pixel data');
      this.need(length);
      if (!first) out.push([this.pos, length]);
      first = false;
      this.pos += length;
    }
  }
}

function readElements(r: Reader, stopAtGroupChange: number | undefined): Map<number, Element> {
  const elements = new Map<number, Element>();
  while (r.pos < r.bytes.length) {
    if (stopAtGroupChange !== undefined) {
      if (r.pos + 2 > r.bytes.length || r.view.getUint16(r.pos, true) !== stopAtGroupChange) break;
    }
    const tag = r.tag();
    const { vr, length } = r.header(tag);
    if (length === UNDEFINED) {
      if (tag === PIXEL_DATA) {
        elements.set(tag, { vr, offset: r.pos, length: 0, fragments: r.fragments() });
        continue;
      }
      r.skipUndefinedSequence();
      continue;
    }
    r.need(length);
    elements.set(tag, { vr, offset: r.pos, length });
    r.pos += length;
  }
  return elements;
}

function parse(bytes: Uint8Array): Dataset {
  if (!isDicom(bytes)) throw new DicomError('not a DICOM file (no DICM marker at byte 128)');
  const meta = new Reader(bytes, 132, true, true);
  const metaElements = readElements(meta, 0x0002);
  const tsElement = metaElements.get(TAG.transferSyntax);
  const transferSyntax = tsElement ? text(bytes, tsElement).replace(/\0/g, '').trim() : IMPLICIT_LE;
  let body = bytes;
  let start = meta.pos;
  if (transferSyntax === DEFLATED_LE) {
    const deflated = bytes.subarray(meta.pos);
    const limit = Math.max(MIN_INFLATE_LIMIT, deflated.length * MAX_INFLATE_RATIO);
    try {
      body = inflateRawSync(deflated, { maxOutputLength: limit });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
        throw new DicomError(`deflated DICOM data set does not inflate within ${limit} bytes`);
      throw new DicomError(`deflated DICOM data set does not inflate: ${(e as Error).message}`);
    }
    start = 0;
  }
  const supported = [IMPLICIT_LE, EXPLICIT_LE, DEFLATED_LE, EXPLICIT_BE, RLE, ...JPEG_8BIT].includes(transferSyntax);
  if (!supported) {
    const name = KNOWN_COMPRESSED[transferSyntax] ?? 'unknown';
    throw new DicomError(
      `transfer syntax ${transferSyntax} (${name}) is not supported; uncompressed, deflated, RLE and 8-bit JPEG are`,
      true,
    );
  }
  const little = transferSyntax !== EXPLICIT_BE;
  const explicit = transferSyntax !== IMPLICIT_LE;
  const r = new Reader(body, start, little, explicit);
  const elements = readElements(r, undefined);
  return {
    bytes: body,
    view: new DataView(body.buffer, body.byteOffset, body.byteLength),
    little,
    elements,
    transferSyntax,
  };
}

function text(bytes: Uint8Array, e: Element): string {
  return new TextDecoder('latin1').decode(bytes.subarray(e.offset, e.offset + e.length));
}

function us(ds: Dataset, tag: number): number | undefined {
  const e = ds.elements.get(tag);
  if (!e || e.length < 2) return undefined;
  return ds.view.getUint16(e.offset, ds.little);
}

/** First value of a decimal/integer string element (DS, IS), multi-valued ones included. */
function numberString(ds: Dataset, tag: number): number | undefined {
  const e = ds.elements.get(tag);
  if (!e || e.length === 0) return undefined;
  const first = text(ds.bytes, e).split('\\')[0]!.replace(/\0/g, '').trim();
  if (first === '') return undefined;
  const n = Number(first);
  return Number.isFinite(n) ? n : undefined;
}

export interface DicomHeader {
  readonly width: number;
  readonly height: number;
  readonly samples: number;
  readonly photometric: string;
  readonly transferSyntax: string;
  readonly bitsStored: number;
}

function header(
  ds: Dataset,
): DicomHeader & { bitsAllocated: number; bitsStored: number; signed: boolean; planar: number; frames: number } {
  const height = us(ds, TAG.rows);
  const width = us(ds, TAG.columns);
  if (height === undefined || width === undefined || height === 0 || width === 0)
    throw new DicomError('DICOM file has no image (Rows/Columns missing)');
  const photoElement = ds.elements.get(TAG.photometric);
  const photometric = photoElement ? text(ds.bytes, photoElement).replace(/\0/g, '').trim() : 'MONOCHROME2';
  const bitsAllocated = us(ds, TAG.bitsAllocated) ?? 16;
  return {
    width,
    height,
    samples: us(ds, TAG.samples) ?? 1,
    photometric,
    transferSyntax: ds.transferSyntax,
    bitsAllocated,
    bitsStored: us(ds, TAG.bitsStored) ?? bitsAllocated,
    signed: us(ds, TAG.pixelRepresentation) === 1,
    planar: us(ds, TAG.planar) ?? 0,
    frames: numberString(ds, TAG.frames) ?? 1,
  };
}

/** Dimensions and layout without touching pixel data, so the pixel limit is checked before decoding. */
export function readDicomHeader(bytes: Uint8Array): DicomHeader {
  const h = header(parse(bytes));
  return {
    width: h.width,
    height: h.height,
    samples: h.samples,
    photometric: h.photometric,
    transferSyntax: h.transferSyntax,
    bitsStored: h.bitsStored,
  };
}

function decodePackBits(bytes: Uint8Array, start: number, end: number, out: Uint8Array): void {
  let i = start;
  let o = 0;
  while (i < end && o < out.length) {
    const n = (bytes[i++]! << 24) >> 24;
    if (n >= 0) {
      const count = Math.min(n + 1, out.length - o, end - i);
      out.set(bytes.subarray(i, i + count), o);
      i += n + 1;
      o += count;
    } else if (n !== -128) {
      const count = Math.min(1 - n, out.length - o);
      out.fill(bytes[i++]!, o, o + count);
      o += count;
    }
  }
  if (o < out.length) throw new DicomError('truncated RLE segment');
}

/** RLE lossless: one PackBits segment per byte plane, most significant byte first. */
function decodeRle(ds: Dataset, e: Element, pixels: number, bytesPerSample: number, samples: number): Uint8Array {
  const frag = e.fragments?.[0];
  if (!frag) throw new DicomError('RLE pixel data has no fragments');
  const [offset, length] = frag;
  const segmentCount = ds.view.getUint32(offset, true);
  if (segmentCount !== bytesPerSample * samples)
    throw new DicomError(`RLE header has ${segmentCount} segments, expected ${bytesPerSample * samples}`);
  const out = new Uint8Array(pixels * bytesPerSample * samples);
  const plane = new Uint8Array(pixels);
  for (let s = 0; s < segmentCount; s++) {
    const segStart = offset + ds.view.getUint32(offset + 4 + s * 4, true);
    const segEnd = s + 1 < segmentCount ? offset + ds.view.getUint32(offset + 8 + s * 4, true) : offset + length;
    decodePackBits(ds.bytes, segStart, segEnd, plane);
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample);
    // Lay out as little-endian native data, sample-interleaved.
    for (let p = 0; p < pixels; p++) out[(p * samples + sample) * bytesPerSample + byteInSample] = plane[p]!;
  }
  return out;
}

/**
 * Maps stored values to display bytes without materialising the modality values:
 * one pass for the range when there is no window, one pass to write.
 */
function windowed(
  pixels: number,
  stored: (p: number) => number,
  slope: number,
  intercept: number,
  center: number | undefined,
  width: number | undefined,
): Uint8Array {
  const out = new Uint8Array(pixels);
  if (center !== undefined && width !== undefined && width >= 1) {
    const low = center - 0.5 - (width - 1) / 2;
    const high = center - 0.5 + (width - 1) / 2;
    for (let p = 0; p < pixels; p++) {
      const x = stored(p) * slope + intercept;
      out[p] = x <= low ? 0 : x > high ? 255 : Math.round(((x - (center - 0.5)) / (width - 1) + 0.5) * 255);
    }
    return out;
  }
  let min = Infinity;
  let max = -Infinity;
  for (let p = 0; p < pixels; p++) {
    const x = stored(p) * slope + intercept;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const range = max - min;
  if (range > 0)
    for (let p = 0; p < pixels; p++) out[p] = Math.round(((stored(p) * slope + intercept - min) / range) * 255);
  return out;
}

function ybrToRgb(data: Uint8Array): void {
  for (let i = 0; i < data.length; i += 3) {
    const y = data[i]!;
    const cb = data[i + 1]! - 128;
    const cr = data[i + 2]! - 128;
    data[i] = Math.max(0, Math.min(255, Math.round(y + 1.402 * cr)));
    data[i + 1] = Math.max(0, Math.min(255, Math.round(y - 0.344136 * cb - 0.714136 * cr)));
    data[i + 2] = Math.max(0, Math.min(255, Math.round(y + 1.772 * cb)));
  }
}

export async function decodeDicom(bytes: Uint8Array, maxPixels: number): Promise<DicomImage> {
  const ds = parse(bytes);
  const h = header(ds);
  const { width, height, samples, photometric } = h;
  if (width * height > maxPixels)
    throw new DicomError(`image is ${width}x${height}, over the pixel limit of ${maxPixels}`);
  if (h.frames > 1)
    throw new DicomError(`multi-frame DICOM (${h.frames} frames) is not supported; single-frame images are`);
  if (samples !== 1 && samples !== 3) throw new DicomError(`${samples} samples per pixel is not supported`);
  if (samples === 1 && photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2')
    throw new DicomError(`photometric interpretation ${photometric} is not supported for single-sample images`);
  const pixelElement = ds.elements.get(PIXEL_DATA);
  if (!pixelElement) throw new DicomError('DICOM file has no pixel data');
  const base = { width, height, bitsStored: h.bitsStored, photometric, transferSyntax: ds.transferSyntax };

  if (JPEG_8BIT.has(ds.transferSyntax)) {
    const fragments = pixelElement.fragments ?? [];
    if (fragments.length === 0) throw new DicomError('JPEG pixel data has no fragments');
    const stream = Buffer.concat(fragments.map(([o, l]) => ds.bytes.subarray(o, o + l)));
    const colour = samples === 3;
    let decoded;
    try {
      decoded = await sharp(stream, { limitInputPixels: maxPixels })
        .toColourspace(colour ? 'srgb' : 'b-w')
        .raw()
        .toBuffer({ resolveWithObject: true });
    } catch (e) {
      throw new DicomError(`embedded JPEG does not decode: ${(e as Error).message.split('\n')[0]}`);
    }
    const data = new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength);
    if (photometric === 'MONOCHROME1') for (let i = 0; i < data.length; i++) data[i] = 255 - data[i]!;
    return { ...base, channels: colour ? 3 : 1, data };
  }

  if (h.bitsAllocated !== 8 && h.bitsAllocated !== 16)
    throw new DicomError(`${h.bitsAllocated} bits allocated is not supported; 8 and 16 are`);
  const bytesPerSample = h.bitsAllocated / 8;
  const pixels = width * height;
  let raw: Uint8Array;
  let little = ds.little;
  if (ds.transferSyntax === RLE) {
    raw = decodeRle(ds, pixelElement, pixels, bytesPerSample, samples);
    little = true;
  } else {
    const need = pixels * samples * bytesPerSample;
    if (pixelElement.length < need)
      throw new DicomError(`truncated pixel data: need ${need} bytes, have ${pixelElement.length}`);
    raw = ds.bytes.subarray(pixelElement.offset, pixelElement.offset + need);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);

  if (samples === 3) {
    if (bytesPerSample !== 1) throw new DicomError('16-bit colour DICOM is not supported');
    if (photometric !== 'RGB' && photometric !== 'YBR_FULL')
      throw new DicomError(`photometric interpretation ${photometric} is not supported for colour images`);
    const data = new Uint8Array(pixels * 3);
    // RLE output is already sample-interleaved; native data follows PlanarConfiguration.
    const planar = h.planar === 1 && ds.transferSyntax !== RLE;
    for (let p = 0; p < pixels; p++) {
      for (let c = 0; c < 3; c++) data[p * 3 + c] = planar ? raw[c * pixels + p]! : raw[p * 3 + c]!;
    }
    if (photometric === 'YBR_FULL') ybrToRgb(data);
    return { ...base, channels: 3, data };
  }

  const slope = numberString(ds, TAG.rescaleSlope) ?? 1;
  const intercept = numberString(ds, TAG.rescaleIntercept) ?? 0;
  const storedMask = 2 ** Math.min(h.bitsStored, h.bitsAllocated) - 1;
  const signBit = 2 ** (Math.min(h.bitsStored, h.bitsAllocated) - 1);
  const stored = (p: number) => {
    const v = (bytesPerSample === 1 ? raw[p]! : view.getUint16(p * 2, little)) & storedMask;
    return h.signed && v >= signBit ? v - 2 * signBit : v;
  };
  const data = windowed(
    pixels,
    stored,
    slope,
    intercept,
    numberString(ds, TAG.windowCenter),
    numberString(ds, TAG.windowWidth),
  );
  if (photometric === 'MONOCHROME1') for (let i = 0; i < data.length; i++) data[i] = 255 - data[i]!;
  return { ...base, channels: 1, data };
}
