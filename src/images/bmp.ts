/**
 * Windows BMP decoding, because the sharp build shipped here has no BMP loader.
 * Covers the variants scanners and older imaging software write: 1/4/8-bit palettes,
 * 16/24/32-bit BI_RGB and BI_BITFIELDS, bottom-up and top-down rows. RLE is refused.
 */

export class BmpError extends Error {
  override readonly name = 'BmpError';
}

export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  /** Row-major, interleaved, uint8. */
  readonly data: Uint8Array;
}

export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 26 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

interface Mask {
  shift: number;
  max: number;
}

function maskOf(mask: number): Mask {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

function channel(value: number, m: Mask, mask: number): number {
  if (m.max === 0) return 0;
  return Math.round(((((value & mask) >>> 0) >>> m.shift) * 255) / m.max);
}

/** Reads width and height without decoding, so the pixel limit is checked before any allocation. */
export function bmpDimensions(bytes: Uint8Array): { width: number; height: number } {
  if (!isBmp(bytes)) throw new BmpError('not a BMP file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerSize = view.getUint32(14, true);
  if (headerSize === 12) return { width: view.getUint16(18, true), height: view.getUint16(20, true) };
  if (bytes.length < 26 + 4) throw new BmpError('truncated BMP header');
  return { width: Math.abs(view.getInt32(18, true)), height: Math.abs(view.getInt32(22, true)) };
}

export function decodeBmp(bytes: Uint8Array): RawImage {
  if (!isBmp(bytes)) throw new BmpError('not a BMP file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  const core = headerSize === 12;
  if (!core && headerSize < 40) throw new BmpError(`unknown BMP header size ${headerSize}`);
  if (14 + headerSize > bytes.length) throw new BmpError('truncated BMP header');
  const width = core ? view.getUint16(18, true) : view.getInt32(18, true);
  const rawHeight = core ? view.getUint16(20, true) : view.getInt32(22, true);
  const bpp = core ? view.getUint16(24, true) : view.getUint16(28, true);
  const compression = core ? 0 : view.getUint32(30, true);
  if (width <= 0 || rawHeight === 0) throw new BmpError(`bad BMP dimensions ${width}x${rawHeight}`);
  const height = Math.abs(rawHeight);
  const topDown = rawHeight < 0;
  if (compression === 1 || compression === 2) throw new BmpError('RLE-compressed BMP is not supported');
  if (compression !== 0 && compression !== 3 && compression !== 6)
    throw new BmpError(`BMP compression ${compression} is not supported`);
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) throw new BmpError(`BMP with ${bpp} bits per pixel is not supported`);

  let masks: [number, number, number] = bpp === 16 ? [0x7c00, 0x03e0, 0x001f] : [0xff0000, 0x00ff00, 0x0000ff];
  if (compression === 3 || compression === 6) {
    // Masks follow a 40-byte header directly, or sit inside the V4/V5 header at the same offset.
    if (54 + 12 > bytes.length) throw new BmpError('truncated BMP bit masks');
    masks = [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true)];
  }

  let palette: Uint8Array | undefined;
  let grey = false;
  if (bpp <= 8) {
    const entrySize = core ? 3 : 4;
    const declared = core ? 0 : view.getUint32(46, true);
    const colours = declared > 0 ? Math.min(declared, 1 << bpp) : 1 << bpp;
    const start = 14 + headerSize;
    if (start + colours * entrySize > bytes.length) throw new BmpError('truncated BMP palette');
    palette = new Uint8Array(256 * 3);
    grey = true;
    for (let i = 0; i < colours; i++) {
      const b = bytes[start + i * entrySize]!;
      const g = bytes[start + i * entrySize + 1]!;
      const r = bytes[start + i * entrySize + 2]!;
      palette.set([r, g, b], i * 3);
      if (r !== g || g !== b) grey = false;
    }
  }

  const rowBytes = Math.floor((bpp * width + 31) / 32) * 4;
  if (dataOffset + rowBytes * height > bytes.length)
    throw new BmpError(
      `truncated BMP pixel data: need ${rowBytes * height} bytes after offset ${dataOffset}, have ${bytes.length - dataOffset}`,
    );
  const channels: 1 | 3 = grey ? 1 : 3;
  const out = new Uint8Array(width * height * channels);
  const m = masks.map(maskOf);

  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      if (palette) {
        const bitOffset = x * bpp;
        const byte = bytes[row + (bitOffset >> 3)]!;
        const index = bpp === 8 ? byte : (byte >> (8 - bpp - (bitOffset & 7))) & ((1 << bpp) - 1);
        if (channels === 1) out[o] = palette[index * 3]!;
        else out.set(palette.subarray(index * 3, index * 3 + 3), o);
      } else if (bpp === 24 && compression === 0) {
        const p = row + x * 3;
        out[o] = bytes[p + 2]!;
        out[o + 1] = bytes[p + 1]!;
        out[o + 2] = bytes[p]!;
      } else {
        const p = row + x * (bpp / 8);
        const value = bpp === 16 ? view.getUint16(p, true) : view.getUint32(p, true);
        for (let c = 0; c < 3; c++) out[o + c] = channel(value, m[c]!, masks[c]!);
      }
    }
  }
  return { width, height, channels, data: out };
}
