/**
 * Streaming zip extraction driven by the central directory, so declared sizes, entry counts
 * and symbolic links are all known before a byte is written. Actual sizes and CRCs are
 * checked while inflating, because declared sizes can lie.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createInflateRaw } from 'node:zlib';
import { IngestionError } from './errors.js';
import {
  destinationOf,
  safeEntryPath,
  safeLinkTarget,
  tooLarge,
  tooManyEntries,
  type ArchiveLimits,
} from './archive-paths.js';

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly flags: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localOffset: number;
  readonly isDirectory: boolean;
  readonly isSymlink: boolean;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX32 = 0xffffffff;

function corrupt(message: string, file?: string): IngestionError {
  return new IngestionError('ARCHIVE_CORRUPT', message, file === undefined ? {} : { file });
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  if (bytesRead < length) throw corrupt('zip file is truncated');
  return buffer;
}

export async function listZip(path: string, limits: ArchiveLimits): Promise<ZipEntry[]> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const tailLength = Math.min(size, 22 + 65535);
    const tail = await readAt(handle, size - tailLength, tailLength);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw corrupt('not a zip file, or truncated (no end of central directory)');
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (count === 0xffff || cdSize === MAX32 || cdOffset === MAX32) {
      const locator = eocd - 20;
      if (locator < 0 || tail.readUInt32LE(locator) !== ZIP64_LOCATOR)
        throw corrupt('zip64 archive without a zip64 locator');
      const record = await readAt(handle, Number(tail.readBigUInt64LE(locator + 8)), 56);
      if (record.readUInt32LE(0) !== ZIP64_EOCD) throw corrupt('bad zip64 end of central directory');
      count = Number(record.readBigUInt64LE(32));
      cdSize = Number(record.readBigUInt64LE(40));
      cdOffset = Number(record.readBigUInt64LE(48));
    }
    if (count > limits.maxEntries) throw tooManyEntries(limits, count);
    if (cdOffset + cdSize > size) throw corrupt('zip central directory lies beyond the end of the file');
    const cd = await readAt(handle, cdOffset, cdSize);
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) throw corrupt(`bad zip central directory entry ${i}`);
      const madeBy = cd.readUInt16LE(p + 4) >> 8;
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      const crc = cd.readUInt32LE(p + 16);
      let compressedSize = cd.readUInt32LE(p + 20);
      let uncompressed = cd.readUInt32LE(p + 24);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      const external = cd.readUInt32LE(p + 38);
      let localOffset = cd.readUInt32LE(p + 42);
      const name = new TextDecoder('utf-8').decode(cd.subarray(p + 46, p + 46 + nameLength));
      let e = p + 46 + nameLength;
      const extraEnd = e + extraLength;
      if (extraEnd + commentLength > cd.length) throw corrupt(`zip central directory entry ${i} runs past its end`);
      while (e + 4 <= extraEnd) {
        const id = cd.readUInt16LE(e);
        const length = cd.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          const wanted = [uncompressed, compressedSize, localOffset].filter((v) => v === MAX32).length * 8;
          if (q + wanted > Math.min(e + 4 + length, extraEnd))
            throw corrupt(`zip64 extra field of central directory entry ${i} is too short`);
          if (uncompressed === MAX32) {
            uncompressed = Number(cd.readBigUInt64LE(q));
            q += 8;
          }
          if (compressedSize === MAX32) {
            compressedSize = Number(cd.readBigUInt64LE(q));
            q += 8;
          }
          if (localOffset === MAX32) localOffset = Number(cd.readBigUInt64LE(q));
        }
        e += 4 + length;
      }
      const unixMode = madeBy === 3 ? external >>> 16 : 0;
      entries.push({
        name,
        method,
        flags,
        crc,
        compressedSize,
        size: uncompressed,
        localOffset,
        isDirectory: name.endsWith('/') || name.endsWith('\\'),
        isSymlink: (unixMode & 0o170000) === 0o120000,
      });
      p = extraEnd + commentLength;
    }
    return entries;
  } finally {
    await handle.close();
  }
}

function limitAndCheck(entry: ZipEntry, budget: { left: number }, limits: ArchiveLimits): Transform {
  let crc = 0;
  let written = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      written += chunk.length;
      budget.left -= chunk.length;
      if (budget.left < 0) return callback(tooLarge(limits, entry.name));
      if (written > entry.size)
        return callback(corrupt(`zip entry '${entry.name}' inflates beyond its declared size`, entry.name));
      crc = crc32(chunk, crc);
      callback(null, chunk);
    },
    flush(callback) {
      if (written !== entry.size)
        return callback(corrupt(`zip entry '${entry.name}' is ${written} bytes, declared ${entry.size}`, entry.name));
      if (crc >>> 0 !== entry.crc)
        return callback(corrupt(`zip entry '${entry.name}' fails its CRC check`, entry.name));
      callback();
    },
  });
}

async function dataOffset(path: string, entry: ZipEntry): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const local = await readAt(handle, entry.localOffset, 30);
    if (local.readUInt32LE(0) !== LOCAL) throw corrupt(`bad local header for zip entry '${entry.name}'`, entry.name);
    return entry.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  } finally {
    await handle.close();
  }
}

/** An entry's stored bytes; an empty entry is an empty stream (a read stream cannot end before it starts). */
function entryBytes(path: string, start: number, length: number): Readable {
  return length > 0 ? createReadStream(path, { start, end: start + length - 1 }) : Readable.from([]);
}

async function readSmallEntry(path: string, entry: ZipEntry, limits: ArchiveLimits): Promise<string> {
  if (entry.size > 4096)
    throw new IngestionError('ARCHIVE_UNSAFE_LINK', `link '${entry.name}' has an implausibly long target`, {
      file: entry.name,
    });
  const chunks: Buffer[] = [];
  const start = await dataOffset(path, entry);
  const source = entryBytes(path, start, entry.compressedSize);
  const checked = limitAndCheck(entry, { left: limits.maxExpandedBytes }, limits);
  const collect = async (input: AsyncIterable<Buffer>) => {
    for await (const c of input) chunks.push(c);
  };
  if (entry.method === 8) await pipeline(source, createInflateRaw(), checked, collect);
  else await pipeline(source, checked, collect);
  return Buffer.concat(chunks).toString('utf8');
}

export async function extractZip(path: string, root: string, limits: ArchiveLimits): Promise<void> {
  const entries = await listZip(path, limits);
  const declared = entries.reduce((n, e) => n + e.size, 0);
  if (declared > limits.maxExpandedBytes)
    throw tooLarge(limits, `${entries.length} entries, ${declared} bytes declared`);
  const { size: archiveSize } = await stat(path);
  const links: [from: string, to: string][] = [];
  const budget = { left: limits.maxExpandedBytes };
  for (const entry of entries) {
    const relative = safeEntryPath(entry.name);
    if (relative === '') continue;
    const dest = destinationOf(root, relative);
    if (entry.isDirectory) {
      await mkdir(dest, { recursive: true });
      continue;
    }
    if (entry.flags & 1)
      throw new IngestionError('UNSUPPORTED_FORMAT', `zip entry '${entry.name}' is encrypted`, { file: entry.name });
    if (entry.method !== 0 && entry.method !== 8)
      throw new IngestionError(
        'UNSUPPORTED_FORMAT',
        `zip entry '${entry.name}' uses compression method ${entry.method}; only stored and deflated entries are supported`,
        { file: entry.name },
      );
    if (entry.isSymlink) {
      links.push([relative, safeLinkTarget(relative, await readSmallEntry(path, entry, limits))]);
      continue;
    }
    const start = await dataOffset(path, entry);
    if (start + entry.compressedSize > archiveSize)
      throw corrupt(`zip entry '${entry.name}' runs past the end of the archive`, entry.name);
    await mkdir(dirname(dest), { recursive: true });
    const source = entryBytes(path, start, entry.compressedSize);
    const checked = limitAndCheck(entry, budget, limits);
    try {
      if (entry.method === 8) await pipeline(source, createInflateRaw(), checked, createWriteStream(dest));
      else await pipeline(source, checked, createWriteStream(dest));
    } catch (e) {
      if (e instanceof IngestionError) throw e;
      throw corrupt(`zip entry '${entry.name}' does not decompress: ${(e as Error).message}`, entry.name);
    }
  }
  await materialiseLinks(root, links, budget, limits);
}

/** Links inside the archive become copies of their targets; links to nothing or to folders are dropped. */
export async function materialiseLinks(
  root: string,
  links: readonly (readonly [string, string])[],
  budget: { left: number },
  limits: ArchiveLimits,
): Promise<void> {
  for (const [from, to] of links) {
    const target = destinationOf(root, to);
    const info = await stat(target).catch(() => undefined);
    if (!info?.isFile()) continue;
    budget.left -= info.size;
    if (budget.left < 0) throw tooLarge(limits, from);
    const dest = destinationOf(root, from);
    await mkdir(dirname(dest), { recursive: true });
    await copyFile(target, dest);
  }
}
