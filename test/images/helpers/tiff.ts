/**
 * A minimal baseline TIFF writer (uncompressed, one strip, little-endian) so tests can make
 * genuine 16-bit greyscale files: sharp turns 16-bit raw input into 8-bit output here.
 */
export function encodeTiffGrey16(width: number, height: number, values: Uint16Array): Uint8Array {
  const entries: [tag: number, type: number, count: number, value: number][] = [];
  const pixelBytes = width * height * 2;
  const ifdOffset = 8;
  const entryCount = 9;
  const ifdSize = 2 + entryCount * 12 + 4;
  const dataOffset = ifdOffset + ifdSize;
  const SHORT = 3;
  const LONG = 4;
  entries.push([256, LONG, 1, width]);
  entries.push([257, LONG, 1, height]);
  entries.push([258, SHORT, 1, 16]);
  entries.push([259, SHORT, 1, 1]);
  entries.push([262, SHORT, 1, 1]);
  entries.push([273, LONG, 1, dataOffset]);
  entries.push([277, SHORT, 1, 1]);
  entries.push([278, LONG, 1, height]);
  entries.push([279, LONG, 1, pixelBytes]);
  const out = new Uint8Array(dataOffset + pixelBytes);
  const view = new DataView(out.buffer);
  out.set([0x49, 0x49], 0);
  view.setUint16(2, 42, true);
  view.setUint32(4, ifdOffset, true);
  view.setUint16(ifdOffset, entryCount, true);
  entries.forEach(([tag, type, count, value], i) => {
    const p = ifdOffset + 2 + i * 12;
    view.setUint16(p, tag, true);
    view.setUint16(p + 2, type, true);
    view.setUint32(p + 4, count, true);
    if (type === SHORT) view.setUint16(p + 8, value, true);
    else view.setUint32(p + 8, value, true);
  });
  view.setUint32(ifdOffset + 2 + entryCount * 12, 0, true);
  for (let i = 0; i < values.length; i++) view.setUint16(dataOffset + i * 2, values[i]!, true);
  return out;
}
