/** Entry-name checks shared by the zip and tar extractors. */
import { posix, resolve, sep } from 'node:path';
import { IngestionError } from './errors.js';

export interface ArchiveLimits {
  /** Total bytes the archive may expand to. */
  readonly maxExpandedBytes: number;
  readonly maxEntries: number;
}

/**
 * A safe relative path for an entry, or an error: absolute paths, drive letters, `..` segments
 * and NUL bytes are refused outright rather than normalised away.
 */
export function safeEntryPath(name: string): string {
  const unified = name.replace(/\\/g, '/');
  if (unified.includes('\0'))
    throw new IngestionError('ARCHIVE_UNSAFE_PATH', `archive entry name contains a NUL byte`, { file: name });
  if (unified.startsWith('/') || /^[a-zA-Z]:/.test(unified)) {
    throw new IngestionError('ARCHIVE_UNSAFE_PATH', `archive entry '${name}' has an absolute path`, { file: name });
  }
  const parts = unified.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..'))
    throw new IngestionError('ARCHIVE_UNSAFE_PATH', `archive entry '${name}' climbs out of the archive with '..'`, {
      file: name,
    });
  return parts.join('/');
}

export function destinationOf(root: string, relative: string): string {
  const dest = resolve(root, relative);
  if (!dest.startsWith(resolve(root) + sep))
    throw new IngestionError(
      'ARCHIVE_UNSAFE_PATH',
      `archive entry '${relative}' resolves outside the extraction directory`,
      { file: relative },
    );
  return dest;
}

/** Resolves a symbolic link's target against its own location; refuses targets outside the archive. */
export function safeLinkTarget(entry: string, target: string): string {
  const unified = target.replace(/\\/g, '/');
  if (unified.startsWith('/') || /^[a-zA-Z]:/.test(unified)) {
    throw new IngestionError('ARCHIVE_UNSAFE_LINK', `link '${entry}' points to the absolute path '${target}'`, {
      file: entry,
    });
  }
  const joined = posix.normalize(posix.join(posix.dirname(entry), unified));
  if (joined === '..' || joined.startsWith('../')) {
    throw new IngestionError('ARCHIVE_UNSAFE_LINK', `link '${entry}' points outside the archive ('${target}')`, {
      file: entry,
    });
  }
  return joined;
}

export function tooLarge(limits: ArchiveLimits, entry: string): IngestionError {
  return new IngestionError(
    'ARCHIVE_TOO_LARGE',
    `archive expands to more than the limit of ${limits.maxExpandedBytes} bytes (reached at '${entry}')`,
    { file: entry },
  );
}

export function tooManyEntries(limits: ArchiveLimits, count: number | string): IngestionError {
  return new IngestionError(
    'ARCHIVE_TOO_MANY_ENTRIES',
    `archive has ${count} entries, over the limit of ${limits.maxEntries}`,
  );
}
