/**
 * Folder-per-class and CSV-manifest sources. Only names are read here; pixels come later.
 * A folder is either class/…/image or split/class/…/image when every top-level folder is a
 * split name (train, val, test and their usual spellings).
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { CsvError, parseCsvRecords } from '../csv.js';
import { IngestionError, listForMessage } from './errors.js';
import type { DatasetFormat, ListedFile, Listing } from './listing.js';
import { splitFromName } from './listing.js';
import type { ProfileWarning } from './profile.js';

const IMAGE_EXTENSIONS = new Set([
  '.png',
  '.jpg',
  '.jpeg',
  '.jpe',
  '.tif',
  '.tiff',
  '.bmp',
  '.dib',
  '.webp',
  '.gif',
  '.dcm',
  '.dicom',
  '.dic',
  '.ima',
]);
const SKIPPED_DIRS = new Set(['__MACOSX']);

export interface SourceOptions {
  /** Turn UNLABELLED_FILES into an IGNORED_FILES warning. */
  readonly ignoreUnlabelled: boolean;
  readonly format: DatasetFormat;
}

async function hasDicomMagic(path: string): Promise<boolean> {
  const head = Buffer.alloc(132);
  const handle = await open(path, 'r');
  try {
    const { bytesRead } = await handle.read(head, 0, 132, 0);
    return bytesRead === 132 && head.subarray(128, 132).toString('latin1') === 'DICM';
  } finally {
    await handle.close();
  }
}

/**
 * Image files by extension; DICOM series often have no extension or a numeric one, so those
 * names count when the file carries the DICM marker.
 */
export async function isCandidateImage(path: string): Promise<boolean> {
  const ext = extname(path).toLowerCase();
  if (IMAGE_EXTENSIONS.has(ext)) return true;
  if (ext === '' || /^\.\d+$/.test(ext)) return hasDicomMagic(path);
  return false;
}

/** Relative paths (with '/') of every file below dir, hidden files and macOS metadata skipped. */
export async function walk(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || SKIPPED_DIRS.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path, base)));
    else if (entry.isFile() || (entry.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isFile())) {
      out.push(relative(base, path).split(sep).join('/'));
    }
  }
  return out;
}

function ignoredWarning(files: readonly string[], why: string): ProfileWarning[] {
  return files.length === 0
    ? []
    : [
        {
          code: 'IGNORED_FILES',
          message: `${files.length} file(s) ${why} were ignored: ${listForMessage(files.slice(0, 10))}`,
        },
      ];
}

function unlabelled(files: readonly string[], options: SourceOptions, why: string): ProfileWarning[] {
  if (files.length === 0) return [];
  if (!options.ignoreUnlabelled) {
    throw new IngestionError(
      'UNLABELLED_FILES',
      `${files.length} image file(s) have no label (${why}): ${listForMessage(files)}. Label them, remove them, or ingest with ignore-unlabelled.`,
      {
        file: files[0]!,
        details: files.map((f) => ({ file: f, code: 'UNLABELLED' as const, reason: why })),
      },
    );
  }
  return ignoredWarning(files, `without a label (${why})`);
}

export async function listFolder(root: string, options: SourceOptions): Promise<Listing> {
  const files = await walk(root);
  const topDirs = new Set(files.filter((f) => f.includes('/')).map((f) => f.split('/')[0]!));
  const splitLayout = topDirs.size > 0 && [...topDirs].every((d) => splitFromName(d) !== undefined);
  const items: ListedFile[] = [];
  const loose: string[] = [];
  const ignored: string[] = [];
  for (const ref of files) {
    const parts = ref.split('/');
    if (!(await isCandidateImage(join(root, ...parts)))) {
      ignored.push(ref);
      continue;
    }
    const labelIndex = splitLayout ? 1 : 0;
    if (parts.length < labelIndex + 2) {
      loose.push(ref);
      continue;
    }
    items.push({
      kind: 'file',
      ref,
      path: join(root, ...parts),
      label: parts[labelIndex]!,
      split: splitLayout ? splitFromName(parts[0]!)! : null,
      group: null,
    });
  }
  const where = splitLayout ? 'not inside a split/class folder' : 'not inside a class folder';
  return {
    format: options.format,
    items,
    warnings: [...unlabelled(loose, options, where), ...ignoredWarning(ignored, 'that are not images')],
  };
}

const PATH_COLUMNS = ['path', 'file', 'filename', 'file_name', 'image', 'image_path', 'filepath'];
const LABEL_COLUMNS = ['label', 'class', 'class_name', 'target', 'diagnosis'];
const SPLIT_COLUMNS = ['split', 'fold_split', 'subset', 'set'];
const GROUP_COLUMNS = ['group', 'source_image', 'patient', 'patient_id', 'subject', 'subject_id'];

function column(header: readonly string[], names: readonly string[]): number {
  return header.findIndex((h) => names.includes(h.trim().toLowerCase()));
}

export async function listCsv(csvPath: string, options: SourceOptions): Promise<Listing> {
  const root = dirname(resolve(csvPath));
  const csvName = relative(root, resolve(csvPath));
  const fail = (message: string) => new IngestionError('BAD_MANIFEST', `${csvName}: ${message}`, { file: csvName });
  let records;
  try {
    records = parseCsvRecords(await readFile(csvPath, 'utf8'));
  } catch (err) {
    if (err instanceof CsvError) throw fail(`line ${err.line}: ${err.message}`);
    throw err;
  }
  if (records.length < 2) throw fail('the manifest has no data rows');
  const header = records[0]!.fields;
  const pathCol = column(header, PATH_COLUMNS);
  const labelCol = column(header, LABEL_COLUMNS);
  const splitCol = column(header, SPLIT_COLUMNS);
  const groupCol = column(header, GROUP_COLUMNS);
  if (pathCol < 0 || labelCol < 0)
    throw fail(
      `the header must name a path column (${PATH_COLUMNS.join('/')}) and a label column (${LABEL_COLUMNS.join('/')}); found: ${header.join(', ')}`,
    );

  const items: ListedFile[] = [];
  const seen = new Set<string>();
  const missing: string[] = [];
  for (const { fields: row, line } of records.slice(1)) {
    const rawPath = (row[pathCol] ?? '').trim();
    const label = (row[labelCol] ?? '').trim();
    if (rawPath === '') throw fail(`line ${line} has an empty path`);
    if (label === '') throw fail(`line ${line} (${rawPath}) has an empty label`);
    const unified = rawPath.replace(/\\/g, '/');
    const full = resolve(root, unified);
    if (unified.startsWith('/') || /^[a-zA-Z]:/.test(unified) || !full.startsWith(root + sep)) {
      throw fail(`line ${line}: '${rawPath}' is not a path inside the manifest's folder`);
    }
    const ref = relative(root, full).split(sep).join('/');
    if (seen.has(ref)) throw fail(`line ${line}: '${rawPath}' is listed more than once`);
    seen.add(ref);
    let split = null;
    if (splitCol >= 0) {
      const value = (row[splitCol] ?? '').trim();
      split = splitFromName(value) ?? null;
      if (!split) throw fail(`line ${line}: split '${value}' is not train, val or test`);
    }
    const group = groupCol >= 0 ? (row[groupCol] ?? '').trim() || null : null;
    const info = await stat(full).catch(() => undefined);
    if (!info?.isFile()) {
      missing.push(`${rawPath} (line ${line})`);
      continue;
    }
    items.push({ kind: 'file', ref, path: full, label, split, group });
  }
  if (missing.length > 0) {
    throw new IngestionError(
      'LABEL_WITHOUT_FILE',
      `${csvName}: ${missing.length} row(s) name files that do not exist: ${listForMessage(missing)}`,
      {
        file: csvName,
        details: missing.map((m) => ({ file: m, code: 'MISSING_FILE' as const, reason: 'no such file' })),
      },
    );
  }
  const others: string[] = [];
  for (const f of await walk(root)) {
    if (f !== csvName && !seen.has(f) && (await isCandidateImage(join(root, ...f.split('/'))))) others.push(f);
  }
  return { format: options.format, items, warnings: unlabelled(others, options, `not named in ${csvName}`) };
}
