import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { StudyFolder } from './parse.js';

/** Reads a study folder from disk into the byte map parseStudy takes; hidden files are skipped. */
export function readStudyFolder(dir: string, name = relative(process.cwd(), dir) || basename(dir)): StudyFolder {
  const files = new Map<string, Uint8Array>();
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.set(relative(dir, path).split('\\').join('/'), readFileSync(path));
    }
  };
  walk(dir);
  return { name, files };
}
