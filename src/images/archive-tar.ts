/**
 * Streaming tar extraction (ustar, pax and GNU long names), gzip-compressed or not.
 * Regular files and folders are written; links are checked and materialised as copies;
 * device nodes and FIFOs are never created.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createGunzip } from 'node:zlib';
import { IngestionError } from './errors.js';
import {
  destinationOf,
  safeEntryPath,
  safeLinkTarget,
  tooLarge,
  tooManyEntries,
  type ArchiveLimits,
} from './archive-paths.js';
import { materialiseLinks } from './archive-zip.js';

const BLOCK = 512;
const MAX_META_BYTES = 1 << 20;

interface Header {
  name: string;
  size: number;
  type: string;
  linkName: string;
}

function corrupt(message: string): IngestionError {
  return new IngestionError('ARCHIVE_CORRUPT', message);
}

function cString(block: Buffer, start: number, length: number): string {
  const slice = block.subarray(start, start + length);
  const end = slice.indexOf(0);
  return slice.subarray(0, end < 0 ? slice.length : end).toString('utf8');
}

function octal(block: Buffer, start: number, length: number): number {
  if (block[start]! & 0x80) {
    // GNU base-256 for sizes of 8 GiB and more.
    let value = 0;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + block[i]!;
    return value;
  }
  const text = cString(block, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw corrupt(`bad number '${text}' in a tar header`);
  return parseInt(text, 8);
}

function parseHeader(block: Buffer): Header {
  const stored = octal(block, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
  if (sum !== stored) throw corrupt('tar header checksum mismatch (not a tar file, or corrupt)');
  const magic = block.subarray(257, 262).toString('latin1');
  const prefix = magic === 'ustar' ? cString(block, 345, 155) : '';
  const name = cString(block, 0, 100);
  return {
    name: prefix ? `${prefix}/${name}` : name,
    size: octal(block, 124, 12),
    type: String.fromCharCode(block[156] || 0x30),
    linkName: cString(block, 157, 100),
  };
}

function parsePax(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let p = 0;
  while (p < text.length) {
    const space = text.indexOf(' ', p);
    if (space < 0) break;
    const length = Number(text.slice(p, space));
    if (!Number.isInteger(length) || length <= 0) throw corrupt('bad pax extended header');
    const record = text.slice(space + 1, p + length - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    p += length;
  }
  return out;
}

/** Pulls exact byte counts from a chunked stream. */
class ByteQueue {
  private chunks: Buffer[] = [];
  private length = 0;
  private readonly iterator: AsyncIterator<Buffer>;
  private done = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<boolean> {
    while (this.length < n && !this.done) {
      const next = await this.iterator.next();
      if (next.done) this.done = true;
      else {
        this.chunks.push(next.value);
        this.length += next.value.length;
      }
    }
    return this.length >= n;
  }

  /** Exactly n bytes, or undefined at a clean end of stream. */
  async take(n: number): Promise<Buffer | undefined> {
    if (!(await this.fill(n))) {
      if (this.length === 0) return undefined;
      throw corrupt('tar archive is truncated');
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.length -= n;
    return all.subarray(0, n);
  }

  /** Streams n bytes to a sink in pieces, never holding them all. */
  async pipe(n: number, sink: (piece: Buffer) => Promise<void>): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.length === 0 && !(await this.fill(1))) throw corrupt('tar archive is truncated');
      const head = this.chunks[0]!;
      const piece = head.length > left ? head.subarray(0, left) : head;
      if (head.length > left) this.chunks[0] = head.subarray(left);
      else this.chunks.shift();
      this.length -= piece.length;
      left -= piece.length;
      await sink(piece);
    }
  }
}

export async function extractTar(path: string, root: string, limits: ArchiveLimits, gzip: boolean): Promise<void> {
  const raw = createReadStream(path);
  const source: AsyncIterable<Buffer> = gzip ? raw.pipe(createGunzip()) : raw;
  const queue = new ByteQueue(source);
  const budget = { left: limits.maxExpandedBytes };
  const links: [string, string][] = [];
  let entries = 0;
  let paxNext: Record<string, string> = {};
  let paxGlobal: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  try {
    for (;;) {
      const block = await queue.take(BLOCK);
      if (block === undefined) break;
      if (block.every((b) => b === 0)) break;
      const h = parseHeader(block);
      const padded = Math.ceil(h.size / BLOCK) * BLOCK;
      if (h.type === 'x' || h.type === 'g' || h.type === 'L' || h.type === 'K') {
        if (h.size > MAX_META_BYTES) throw corrupt(`tar metadata record of ${h.size} bytes is implausibly large`);
        const text = cString((await queue.take(padded)) ?? Buffer.alloc(0), 0, h.size);
        if (h.type === 'x') paxNext = parsePax(text);
        else if (h.type === 'g') paxGlobal = { ...paxGlobal, ...parsePax(text) };
        else if (h.type === 'L') longName = text;
        else longLink = text;
        continue;
      }
      entries++;
      if (entries > limits.maxEntries) throw tooManyEntries(limits, `more than ${limits.maxEntries}`);
      const pax = { ...paxGlobal, ...paxNext };
      const name = longName ?? pax.path ?? h.name;
      const linkName = longLink ?? pax.linkpath ?? h.linkName;
      const size = pax.size !== undefined ? Number(pax.size) : h.size;
      const dataBlocks = pax.size !== undefined ? Math.ceil(size / BLOCK) * BLOCK : padded;
      paxNext = {};
      longName = undefined;
      longLink = undefined;
      const relative = safeEntryPath(name);
      if (h.type === '0' || h.type === '7') {
        if (relative === '') throw corrupt('tar file entry without a name');
        if (size > budget.left) throw tooLarge(limits, name);
        budget.left -= size;
        const dest = destinationOf(root, relative);
        await mkdir(dirname(dest), { recursive: true });
        const handle: FileHandle = await open(dest, 'w');
        try {
          await queue.pipe(size, async (piece) => {
            await handle.write(piece);
          });
        } finally {
          await handle.close();
        }
        await queue.pipe(dataBlocks - size, async () => undefined);
        continue;
      }
      await queue.pipe(dataBlocks, async () => undefined);
      if (relative === '') continue;
      if (h.type === '5') await mkdir(destinationOf(root, relative), { recursive: true });
      else if (h.type === '2') links.push([relative, safeLinkTarget(relative, linkName)]);
      else if (h.type === '1') links.push([relative, safeEntryPathForLink(relative, linkName)]);
    }
  } catch (e) {
    raw.destroy();
    if (e instanceof IngestionError) throw e;
    throw corrupt(`tar archive does not read: ${(e as Error).message}`);
  }
  await materialiseLinks(root, links, budget, limits);
}

/** Hard link names are archive-root relative; they must stay inside like any entry. */
function safeEntryPathForLink(entry: string, target: string): string {
  try {
    return safeEntryPath(target);
  } catch {
    throw new IngestionError('ARCHIVE_UNSAFE_LINK', `hard link '${entry}' points outside the archive ('${target}')`, {
      file: entry,
    });
  }
}
