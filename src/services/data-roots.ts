import { readdir, realpath, stat } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { invalid, AppError } from '../errors.js';

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
}

const forbidden = (path: string, field: string, why: string): AppError =>
  new AppError('forbidden', 'Path outside the data roots', `'${path}' ${why}`, [
    { field, message: 'outside the configured data roots' },
  ]);

/**
 * The real path of a server-side dataset, if it lies inside one of the configured data roots.
 * Symbolic links are resolved before the check, so a link inside a root cannot point out of it;
 * a missing path inside a root is a 404, and a missing one elsewhere is refused like any other.
 */
export async function resolveInsideRoots(path: string, roots: readonly string[], field = 'path'): Promise<string> {
  if (roots.length === 0) {
    throw new AppError(
      'forbidden',
      'Server-side paths are disabled',
      `'${path}' cannot be read: this server has no data roots (set TA_DATA_ROOTS)`,
      [{ field, message: 'no data roots configured' }],
    );
  }
  if (!isAbsolute(path))
    throw invalid(`'${path}' is not an absolute path`, [
      { field, message: 'must be an absolute path inside a data root' },
    ]);
  const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => resolve(r))));
  const real = await realpath(path).catch(() => undefined);
  if (real === undefined) {
    if (!realRoots.some((r) => inside(r, resolve(path))))
      throw forbidden(path, field, 'is not inside a configured data root');
    throw new AppError('not-found', 'No such path', `'${path}' does not exist`, [{ field, message: 'does not exist' }]);
  }
  if (!realRoots.some((r) => inside(r, real))) {
    throw forbidden(
      path,
      field,
      real === resolve(path)
        ? 'is not inside a configured data root'
        : 'leads (through a symbolic link) outside the configured data roots',
    );
  }
  await refuseEscapingLinks(path, await datasetFolderOf(real), realRoots, field);
  return real;
}

/** The folder whose files ingestion will read: the path itself, or a CSV manifest's folder. */
async function datasetFolderOf(real: string): Promise<string | undefined> {
  if ((await stat(real)).isDirectory()) return real;
  return extname(real).toLowerCase() === '.csv' ? dirname(real) : undefined;
}

/** Ingestion follows links to files, so a link inside a root must not lead out of every root. */
async function refuseEscapingLinks(
  path: string,
  folder: string | undefined,
  realRoots: readonly string[],
  field: string,
): Promise<void> {
  if (folder === undefined) return;
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isSymbolicLink()) continue;
    const link = join(entry.parentPath, entry.name);
    const target = await realpath(link).catch(() => undefined);
    if (target !== undefined && !realRoots.some((r) => inside(r, target))) {
      throw forbidden(
        path,
        field,
        `holds ${relative(folder, link).split(sep).join('/')}, a symbolic link leading outside the configured data roots`,
      );
    }
  }
}
