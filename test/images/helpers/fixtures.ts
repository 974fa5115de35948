/** Test data made on the fly: images via sharp, folders of classes, tar archives, temp folders. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { seededRandom } from '../../../src/random.js';

export async function tempDir(t: { after(fn: () => Promise<void>): void }, prefix = 'ingest-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Smooth-ish random pixels: distinct per seed, never near-constant. */
export function pattern(width: number, height: number, channels: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const out = new Uint8Array(width * height * channels);
  const phase = random() * 6;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const base = 128 + 90 * Math.sin((x + 2 * y) / 5 + phase + c);
        out[(y * width + x) * channels + c] = Math.max(0, Math.min(255, Math.round(base + (random() - 0.5) * 40)));
      }
    }
  }
  return out;
}

export type ImageFormat = 'png' | 'jpeg' | 'tiff' | 'webp';

export async function imageBytes(
  format: ImageFormat,
  width: number,
  height: number,
  channels: 1 | 3,
  seed: number,
): Promise<Buffer> {
  const img = sharp(pattern(width, height, channels, seed), { raw: { width, height, channels } });
  // sharp writes single-band raw input as sRGB unless told otherwise.
  return (channels === 1 ? img.toColourspace('b-w') : img).toFormat(format).toBuffer();
}

export async function writeImage(
  path: string,
  format: ImageFormat,
  width: number,
  height: number,
  channels: 1 | 3,
  seed: number,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, await imageBytes(format, width, height, channels, seed));
}

/** root/<class>/<i>.<ext> for each class, distinct images throughout. */
export async function classFolder(
  root: string,
  counts: Record<string, number>,
  options: { format?: ImageFormat; size?: number; channels?: 1 | 3 } = {},
): Promise<void> {
  const format = options.format ?? 'png';
  const size = options.size ?? 12;
  let seed = 1;
  for (const [name, n] of Object.entries(counts)) {
    for (let i = 0; i < n; i++) {
      await writeImage(
        join(root, name, `${i}.${format === 'jpeg' ? 'jpg' : format}`),
        format,
        size,
        size,
        options.channels ?? 3,
        seed++,
      );
    }
  }
}

export interface TarEntry {
  readonly name: string;
  readonly data?: Uint8Array;
  /** '0' file (default), '2' symlink, '1' hard link, '5' folder. */
  readonly type?: '0' | '1' | '2' | '5';
  readonly linkName?: string;
  /** Declared size, when a test wants a header that lies. */
  readonly size?: number;
}

function octalField(block: Uint8Array, offset: number, length: number, value: number): void {
  const text = value.toString(8).padStart(length - 1, '0');
  block.set(new TextEncoder().encode(text), offset);
}

/** ustar writer; names over 100 bytes go through a pax header. */
export function encodeTar(entries: readonly TarEntry[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  const header = (name: string, size: number, type: string, linkName: string) => {
    const block = new Uint8Array(512);
    block.set(new TextEncoder().encode(name.slice(0, 100)), 0);
    octalField(block, 100, 8, 0o644);
    octalField(block, 108, 8, 0);
    octalField(block, 116, 8, 0);
    octalField(block, 124, 12, size);
    octalField(block, 136, 12, 0);
    block.fill(32, 148, 156);
    block[156] = type.charCodeAt(0);
    block.set(new TextEncoder().encode(linkName.slice(0, 100)), 157);
    block.set(new TextEncoder().encode('ustar\u000000'), 257);
    const sum = block.reduce((a, b) => a + b, 0);
    octalField(block, 148, 7, sum);
    block[155] = 0;
    return block;
  };
  const pushData = (data: Uint8Array) => {
    const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
    padded.set(data);
    blocks.push(padded);
  };
  for (const e of entries) {
    const data = e.data ?? new Uint8Array(0);
    if (new TextEncoder().encode(e.name).length > 100) {
      const record = (body: string) => {
        let length = body.length + 3;
        while (`${length} ${body}\n`.length !== length) length = `${length} ${body}\n`.length;
        return `${length} ${body}\n`;
      };
      const pax = new TextEncoder().encode(record(`path=${e.name}`));
      blocks.push(header('PaxHeader', pax.length, 'x', ''));
      pushData(pax);
    }
    blocks.push(header(e.name, e.size ?? data.length, e.type ?? '0', e.linkName ?? ''));
    if (data.length > 0) pushData(data);
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of blocks) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}
