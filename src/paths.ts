import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding package.json, found the same way from src/ under tsx and from dist/src/ when compiled. */
function findPackageRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

export function registryDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TA_REGISTRY_DIR ?? join(PACKAGE_ROOT, 'datasets-registry');
}

export const OPENAPI_PATH = join(PACKAGE_ROOT, 'openapi.yaml');
