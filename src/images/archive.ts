/** Recognises archives by their bytes and extracts them safely into a scratch folder. */
import { open } from 'node:fs/promises';
import type { ArchiveLimits } from './archive-paths.js';
import { extractTar } from './archive-tar.js';
import { extractZip, listZip } from './archive-zip.js';

export type ArchiveKind = 'zip' | 'tar' | 'tar.gz';

export async function sniffArchive(path: string): Promise<ArchiveKind | undefined> {
  const head = Buffer.alloc(512);
  const handle = await open(path, 'r');
  let read: number;
  try {
    ({ bytesRead: read } = await handle.read(head, 0, 512, 0));
  } finally {
    await handle.close();
  }
  if (read >= 4 && head.readUInt32LE(0) === 0x04034b50) return 'zip';
  if (read >= 4 && head.readUInt32LE(0) === 0x06054b50) return 'zip';
  if (read >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
  if (read >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  if (read === 512 && /\.tar$/i.test(path)) return 'tar';
  return undefined;
}

/** An .npz is a zip of .npy members; any zip holding only those is read as one. */
export async function isNpzZip(path: string, limits: ArchiveLimits): Promise<boolean> {
  const entries = await listZip(path, limits);
  return entries.length > 0 && entries.every((e) => e.name.endsWith('.npy'));
}

export async function extractArchive(
  path: string,
  kind: ArchiveKind,
  root: string,
  limits: ArchiveLimits,
): Promise<void> {
  if (kind === 'zip') await extractZip(path, root, limits);
  else await extractTar(path, root, limits, kind === 'tar.gz');
}
