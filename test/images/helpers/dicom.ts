/** Writes small DICOM files (explicit VR little-endian by default) for tests. */
import { deflateSync } from 'fflate';

export interface DicomSpec {
  width: number;
  height: number;
  /** One value per pixel (or three, interleaved, for RGB). */
  pixels: ArrayLike<number>;
  bitsAllocated?: 8 | 16;
  bitsStored?: number;
  signed?: boolean;
  photometric?: 'MONOCHROME1' | 'MONOCHROME2' | 'RGB';
  windowCenter?: number;
  windowWidth?: number;
  rescaleSlope?: number;
  rescaleIntercept?: number;
  transferSyntax?: string;
  frames?: number;
  /** Write the data set in implicit VR (for the implicit little-endian transfer syntax). */
  implicit?: boolean;
  /** Raw-deflate the data set (for the deflated transfer syntax). */
  deflate?: boolean;
  /** One compressed frame (JPEG or RLE bytes) stored as encapsulated pixel data instead of `pixels`. */
  encapsulatedFrame?: Uint8Array;
}

/** PackBits-encodes one byte plane: replicate runs for repeats, literal runs otherwise. */
function packBits(plane: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < plane.length) {
    let run = 1;
    while (i + run < plane.length && run < 128 && plane[i + run] === plane[i]) run++;
    if (run >= 3) {
      out.push(257 - run, plane[i]!);
      i += run;
      continue;
    }
    const start = i;
    while (
      i < plane.length &&
      i - start < 128 &&
      !(i + 2 < plane.length && plane[i] === plane[i + 1] && plane[i] === plane[i + 2])
    )
      i++;
    out.push(i - start - 1, ...plane.subarray(start, i));
  }
  return new Uint8Array(out);
}

/** An RLE lossless frame for 16-bit greyscale: high-byte then low-byte segments. */
export function encodeRleFrame16(values: ArrayLike<number>): Uint8Array {
  const high = Uint8Array.from(values, (v) => (v >> 8) & 0xff);
  const low = Uint8Array.from(values, (v) => v & 0xff);
  const segments = [packBits(high), packBits(low)].map((seg) =>
    seg.length % 2 ? Uint8Array.from([...seg, 0x80]) : seg,
  );
  const header = new Uint8Array(64);
  const view = new DataView(header.buffer);
  view.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((seg, k) => {
    view.setUint32(4 + k * 4, offset, true);
    offset += seg.length;
  });
  const out = new Uint8Array(offset);
  out.set(header);
  let o = 64;
  for (const seg of segments) {
    out.set(seg, o);
    o += seg.length;
  }
  return out;
}

function encapsulated(frame: Uint8Array): Uint8Array {
  const padded = frame.length % 2 ? Uint8Array.from([...frame, 0]) : frame;
  const out = new Uint8Array(12 + 8 + 8 + padded.length + 8);
  const view = new DataView(out.buffer);
  view.setUint16(0, 0x7fe0, true);
  view.setUint16(2, 0x0010, true);
  out[4] = 0x4f;
  out[5] = 0x42;
  view.setUint32(8, 0xffffffff, true);
  const item = (at: number, length: number) => {
    view.setUint16(at, 0xfffe, true);
    view.setUint16(at + 2, 0xe000, true);
    view.setUint32(at + 4, length, true);
  };
  item(12, 0);
  item(20, padded.length);
  out.set(padded, 28);
  const end = 28 + padded.length;
  view.setUint16(end, 0xfffe, true);
  view.setUint16(end + 2, 0xe0dd, true);
  return out;
}

class Writer {
  private readonly chunks: Uint8Array[] = [];
  constructor(private readonly implicit = false) {}

  raw(bytes: Uint8Array): void {
    this.chunks.push(bytes);
  }

  element(group: number, element: number, vr: string, value: Uint8Array): void {
    const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr);
    let padded = value;
    if (value.length % 2 === 1) {
      padded = new Uint8Array(value.length + 1);
      padded.set(value);
      padded[value.length] = vr === 'UI' || vr === 'OB' ? 0 : 0x20;
    }
    if (this.implicit) {
      const head = new Uint8Array(8);
      const view = new DataView(head.buffer);
      view.setUint16(0, group, true);
      view.setUint16(2, element, true);
      view.setUint32(4, padded.length, true);
      this.chunks.push(head, padded);
      return;
    }
    const head = new Uint8Array(long ? 12 : 8);
    const view = new DataView(head.buffer);
    view.setUint16(0, group, true);
    view.setUint16(2, element, true);
    head[4] = vr.charCodeAt(0);
    head[5] = vr.charCodeAt(1);
    if (long) view.setUint32(8, padded.length, true);
    else view.setUint16(6, padded.length, true);
    this.chunks.push(head, padded);
  }

  text(group: number, element: number, vr: string, value: string): void {
    this.element(group, element, vr, new TextEncoder().encode(value));
  }

  us(group: number, element: number, value: number): void {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, value, true);
    this.element(group, element, 'US', b);
  }

  ul(group: number, element: number, value: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value, true);
    this.element(group, element, 'UL', b);
  }

  bytes(): Uint8Array {
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

export function encodeDicom(spec: DicomSpec): Uint8Array {
  const bitsAllocated = spec.bitsAllocated ?? 16;
  const photometric = spec.photometric ?? 'MONOCHROME2';
  const samples = photometric === 'RGB' ? 3 : 1;
  const ts = spec.transferSyntax ?? '1.2.840.10008.1.2.1';

  const body = new Writer(spec.implicit ?? false);
  body.text(0x0008, 0x0016, 'UI', '1.2.840.10008.5.1.4.1.1.1');
  body.text(0x0008, 0x0060, 'CS', 'DX');
  body.us(0x0028, 0x0002, samples);
  body.text(0x0028, 0x0004, 'CS', photometric);
  if (samples === 3) body.us(0x0028, 0x0006, 0);
  if (spec.frames !== undefined) body.text(0x0028, 0x0008, 'IS', String(spec.frames));
  body.us(0x0028, 0x0010, spec.height);
  body.us(0x0028, 0x0011, spec.width);
  body.us(0x0028, 0x0100, bitsAllocated);
  body.us(0x0028, 0x0101, spec.bitsStored ?? bitsAllocated);
  body.us(0x0028, 0x0102, (spec.bitsStored ?? bitsAllocated) - 1);
  body.us(0x0028, 0x0103, spec.signed ? 1 : 0);
  if (spec.windowCenter !== undefined)
    body.text(0x0028, 0x1050, 'DS', `${spec.windowCenter}\\${spec.windowCenter + 100}`);
  if (spec.windowWidth !== undefined) body.text(0x0028, 0x1051, 'DS', `${spec.windowWidth}\\${spec.windowWidth * 2}`);
  if (spec.rescaleIntercept !== undefined) body.text(0x0028, 0x1052, 'DS', String(spec.rescaleIntercept));
  if (spec.rescaleSlope !== undefined) body.text(0x0028, 0x1053, 'DS', String(spec.rescaleSlope));
  const frameCount = spec.frames ?? 1;
  const count = spec.width * spec.height * samples;
  const pixelData = new Uint8Array(count * (bitsAllocated / 8) * frameCount);
  const view = new DataView(pixelData.buffer);
  for (let f = 0; f < frameCount; f++) {
    for (let i = 0; i < count; i++) {
      const v = Number(spec.pixels[i]);
      if (bitsAllocated === 8) pixelData[f * count + i] = v;
      else view.setUint16((f * count + i) * 2, v & 0xffff, true);
    }
  }
  if (spec.encapsulatedFrame) body.raw(encapsulated(spec.encapsulatedFrame));
  else body.element(0x7fe0, 0x0010, bitsAllocated === 8 ? 'OB' : 'OW', pixelData);

  const meta = new Writer();
  meta.element(0x0002, 0x0001, 'OB', new Uint8Array([0, 1]));
  meta.text(0x0002, 0x0002, 'UI', '1.2.840.10008.5.1.4.1.1.1');
  meta.text(0x0002, 0x0003, 'UI', '1.2.3.4.5.6.7');
  meta.text(0x0002, 0x0010, 'UI', ts);
  const metaRest = meta.bytes();
  const groupLength = new Writer();
  groupLength.ul(0x0002, 0x0000, metaRest.length);

  const data = spec.deflate ? deflateSync(body.bytes()) : body.bytes();
  const parts = [new Uint8Array(128), new TextEncoder().encode('DICM'), groupLength.bytes(), metaRest, data];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
