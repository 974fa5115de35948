/** Hand-written BMP files: 24-bit BGR, and 8-bit with a grey palette (bottom-up rows, padded). */
export function encodeBmp(width: number, height: number, pixels: Uint8Array, channels: 1 | 3): Uint8Array {
  const bpp = channels === 3 ? 24 : 8;
  const rowBytes = Math.floor((bpp * width + 31) / 32) * 4;
  const paletteBytes = channels === 1 ? 256 * 4 : 0;
  const offset = 14 + 40 + paletteBytes;
  const out = new Uint8Array(offset + rowBytes * height);
  const view = new DataView(out.buffer);
  out[0] = 0x42;
  out[1] = 0x4d;
  view.setUint32(2, out.length, true);
  view.setUint32(10, offset, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, width, true);
  view.setInt32(22, height, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, bpp, true);
  view.setUint32(30, 0, true);
  view.setUint32(34, rowBytes * height, true);
  view.setUint32(46, channels === 1 ? 256 : 0, true);
  if (channels === 1) for (let i = 0; i < 256; i++) out.set([i, i, i, 0], 54 + i * 4);
  for (let y = 0; y < height; y++) {
    const row = offset + (height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) {
      if (channels === 1) out[row + x] = pixels[y * width + x]!;
      else {
        const p = (y * width + x) * 3;
        out[row + x * 3] = pixels[p + 2]!;
        out[row + x * 3 + 1] = pixels[p + 1]!;
        out[row + x * 3 + 2] = pixels[p]!;
      }
    }
  }
  return out;
}
