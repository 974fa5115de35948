/**
 * Scratch and staging folders carry the id of the process that made them, so that a later
 * process can tell a crash's leftovers (their maker is gone) from another process's work in
 * progress (a CLI ingesting while the server runs) and remove only the former.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const STAGING_PREFIX = '.staging-';
export const INGEST_PREFIX = 'ingest-';
export const UPLOAD_PREFIX = 'upload-';

/** Leftovers named before names carried a process id are removed once they are this old. */
export const UNOWNED_AGE_MS = 60 * 60 * 1000;

/** `<prefix><pid>-` so that sweeps can ask whether the maker still runs. */
export const ownedPrefix = (prefix: string): string => `${prefix}${process.pid}-`;

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function abandoned(path: string, rest: string, now: number): Promise<boolean> {
  const owner = /^(\d+)-/.exec(rest);
  if (owner) return !alive(Number(owner[1]));
  const info = await stat(path).catch(() => undefined);
  return info !== undefined && now - info.mtimeMs > UNOWNED_AGE_MS;
}

async function sweepFolder(dir: string, prefixes: readonly string[], now: number): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const prefix = prefixes.find((p) => name.startsWith(p));
    if (prefix === undefined) continue;
    const path = join(dir, name);
    if (await abandoned(path, name.slice(prefix.length), now)) {
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    }
  }
  return removed;
}

/**
 * Removes what crashed ingestions and uploads left under the data folder: staging folders beside
 * the stored datasets, archive scratch folders and upload files under tmp/. Returns what it removed.
 */
export async function sweepLeftovers(dataDir: string, now = Date.now()): Promise<string[]> {
  return [
    ...(await sweepFolder(join(dataDir, 'datasets'), [STAGING_PREFIX], now)),
    ...(await sweepFolder(join(dataDir, 'tmp'), [INGEST_PREFIX, UPLOAD_PREFIX], now)),
  ];
}
