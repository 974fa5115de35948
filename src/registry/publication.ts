import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { invalid } from '../errors.js';
import { parseNpy } from '../images/index.js';
import { CsvError, parseCsv } from '../csv.js';
import { zodIssues } from './dataset.js';
import { METRICS } from '../transfer/index.js';

/** A published study folder under datasets-registry/published/: its results, expert distances and embeddings as data. */
const publicationSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  contributor: z.strictObject({ id: z.string().min(1), name: z.string().min(1) }),
  reference: z.string().min(1),
  results: z
    .strictObject({
      file: z.string(),
      architecture: z.string().min(1),
      protocol: z.strictObject({
        folds: z.int().min(2),
        metric: z.enum(METRICS),
        image_size: z.int().positive().optional(),
        epochs: z.int().positive().optional(),
        notes: z.string().optional(),
      }),
    })
    .optional(),
  expert_distances: z.strictObject({ file: z.string() }).optional(),
  embeddings: z.strictObject({ file: z.string() }).optional(),
});

const embeddingIndexSchema = z.object({
  datasets: z.array(z.string()).min(1),
  file: z.string().optional(),
  probe: z.object({
    id: z.string().min(1),
    architecture: z.string().min(1),
    inputSize: z.int().positive(),
    pixelScaling: z.string().min(1),
    weights: z.string().optional(),
  }),
  method: z.string().min(1),
}).loose();

export type PublicationMeta = z.infer<typeof publicationSchema>;
export type PublicationProtocol = NonNullable<PublicationMeta['results']>['protocol'];

export interface PublishedRun {
  readonly source: string | null;
  readonly target: string;
  readonly values: number[];
  readonly where: string;
}

export interface Publication {
  readonly meta: PublicationMeta;
  readonly runs: PublishedRun[];
  readonly expertDistances: { target: string; source: string; distance: number; where: string }[];
  readonly embeddings?: {
    readonly probe: z.infer<typeof embeddingIndexSchema>['probe'];
    readonly method: string;
    readonly options: Record<string, unknown>;
    readonly vectors: { dataset: string; hessian: Float32Array }[];
  };
}

function shown(path: string): string {
  return relative(process.cwd(), path) || path;
}

function csvRows(path: string, required: string[]) {
  try {
    return parseCsv(readFileSync(path, 'utf8'), required).rows;
  } catch (err) {
    if (err instanceof CsvError) throw invalid(`${shown(path)}:${err.line}: ${err.message}`, [], `${shown(path)}:${err.line}`);
    throw err;
  }
}

function readRuns(dir: string, meta: NonNullable<PublicationMeta['results']>): PublishedRun[] {
  const path = join(dir, meta.file);
  const foldColumns = Array.from({ length: meta.protocol.folds }, (_, i) => `fold_${i + 1}`);
  return csvRows(path, ['source', 'target', ...foldColumns]).map((row) => {
    const where = `${shown(path)}:${row.line}`;
    const values = foldColumns.map((column) => {
      const text = row.values[column]!;
      const value = Number(text);
      if (text === '' || !Number.isFinite(value) || value < 0 || value > 1) {
        throw invalid(`${where}: field '${column}': '${text}' is not a metric value in [0, 1]`, [{ field: column, message: 'must be a number in [0, 1]' }], where);
      }
      return value;
    });
    const source = row.values.source!;
    const target = row.values.target!;
    // The study writes a baseline (trained on the target alone) as source == target; we store it as no source.
    return { source: source === target || source === 'none' ? null : source, target, values, where };
  });
}

function readExpertDistances(dir: string, file: string): Publication['expertDistances'] {
  const path = join(dir, file);
  return csvRows(path, ['target', 'source', 'hamming_distance']).map((row) => {
    const where = `${shown(path)}:${row.line}`;
    const distance = Number(row.values.hamming_distance);
    if (!Number.isInteger(distance) || distance < 0 || distance > 6) {
      throw invalid(`${where}: field 'hamming_distance': '${row.values.hamming_distance}' is not an integer from 0 to 6`, [{ field: 'hamming_distance', message: 'integer 0..6' }], where);
    }
    return { target: row.values.target!, source: row.values.source!, distance, where };
  });
}

function readEmbeddings(dir: string, file: string): NonNullable<Publication['embeddings']> {
  const indexPath = join(dir, file);
  const parsed = embeddingIndexSchema.safeParse(JSON.parse(readFileSync(indexPath, 'utf8')));
  if (!parsed.success) {
    const first = zodIssues(parsed.error)[0]!;
    throw invalid(`${shown(indexPath)}: field '${first.field}': ${first.message}`, zodIssues(parsed.error), shown(indexPath));
  }
  const index = parsed.data;
  const npyPath = join(dir, index.file ?? file.replace(/\.json$/, '.npy'));
  const array = parseNpy(readFileSync(npyPath));
  const [rows, dim] = array.shape;
  if (array.data.dtype !== 'f4' || array.shape.length !== 2 || rows !== index.datasets.length || dim === undefined) {
    throw invalid(`${shown(npyPath)}: expected float32 [${index.datasets.length}, D], found ${array.data.dtype} [${array.shape.join(', ')}]`, [], shown(npyPath));
  }
  const all = array.data.values as Float32Array;
  const { datasets, probe, method, file: _file, ...options } = index;
  return {
    probe,
    method,
    options,
    vectors: datasets.map((dataset, i) => ({ dataset, hessian: all.slice(i * dim, (i + 1) * dim) })),
  };
}

export function readPublication(dir: string): Publication {
  const metaPath = join(dir, 'publication.yaml');
  const parsed = publicationSchema.safeParse(parseYaml(readFileSync(metaPath, 'utf8')));
  if (!parsed.success) {
    const first = zodIssues(parsed.error)[0]!;
    throw invalid(`${shown(metaPath)}: field '${first.field}': ${first.message}`, zodIssues(parsed.error), shown(metaPath));
  }
  const meta = parsed.data;
  return {
    meta,
    runs: meta.results ? readRuns(dir, meta.results) : [],
    expertDistances: meta.expert_distances ? readExpertDistances(dir, meta.expert_distances.file) : [],
    ...(meta.embeddings ? { embeddings: readEmbeddings(dir, meta.embeddings.file) } : {}),
  };
}

export function readPublications(registry: string): Publication[] {
  const root = join(registry, 'published');
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'publication.yaml')))
    .map((d) => d.name)
    .sort()
    .map((name) => readPublication(join(root, name)));
}
