import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { CsvError, parseCsv, type CsvRow } from '../csv.js';
import { invalid, type AppError } from '../errors.js';
import { parseNpy } from '../images/npy.js';
import { datasetInputSchema, type DatasetInput } from '../registry/dataset.js';
import { backboneSchema, studyFileSchema, type Backbone, type CandidateSet, type StudyFile } from './schema.js';
import { SIGNAL_NAME, signalDefinition, type Direction, type SignalDefinition, type SubjectKind } from './signals.js';
import { definedOnly } from '../defaults.js';

/** A study folder as bytes by relative path (`study.yaml`, `backbones/x.yaml`, ...), named for messages. */
export interface StudyFolder {
  readonly name: string;
  readonly files: ReadonlyMap<string, Uint8Array>;
}

export interface Located {
  /** `file:line` for messages. */
  readonly where: string;
}

export interface StudyRun extends Located {
  /** null: the same network trained from scratch on the target (the baseline). */
  readonly backbone: string | null;
  readonly target: string;
  /** Fold numbers from 1; a study that gives one number per pair has a single fold 1 and `single` set. */
  readonly folds: { readonly fold: number; readonly value: number }[];
  readonly single: boolean;
}

export interface StudySignal extends Located {
  readonly subjectKind: SubjectKind;
  readonly subject: string;
  readonly target: string;
  readonly signal: string;
  readonly value: number;
}

export interface StudySpread extends Located {
  readonly backbone: string;
  readonly target: string;
  readonly runs: number;
  readonly min: number;
  readonly q25: number;
  readonly median: number;
  readonly q75: number;
  readonly max: number;
  readonly sd: number;
}

export interface StudyEmbeddings {
  readonly probe: { id: string; architecture: string; inputSize: number; pixelScaling: string; weights?: string };
  readonly method: string;
  readonly options: Record<string, unknown>;
  readonly vectors: { dataset: string; hessian: Float32Array }[];
  readonly where: string;
}

/** Everything a study folder says, parsed and checked on its own; ids are checked against the store by checkStudyIds. */
export interface Study extends Located {
  readonly meta: StudyFile;
  readonly candidateSets: CandidateSet[];
  readonly signalDefinitions: Readonly<Record<string, SignalDefinition>>;
  readonly backbones: (Backbone & Located)[];
  readonly datasets: (DatasetInput & Located)[];
  readonly runs: StudyRun[];
  readonly signals: StudySignal[];
  readonly spreads: StudySpread[];
  readonly expertDistances: ({ target: string; source: string; distance: number } & Located)[];
  readonly embeddings?: StudyEmbeddings;
  readonly citationText?: string;
}

function problem(where: string, field: string, message: string): AppError {
  return invalid(`${where}: field '${field}': ${message}`, [{ field, message }], where);
}

function text(folder: StudyFolder, path: string): string {
  const bytes = folder.files.get(path);
  if (!bytes) throw problem(`${folder.name}/${path}`, path, 'file not found in the study folder');
  return new TextDecoder().decode(bytes);
}

/** Parses a YAML file with a schema; a failing field is reported with the line it is on. */
function yamlFile<S extends z.ZodType>(folder: StudyFolder, path: string, schema: S): z.infer<S> & Located {
  const shown = `${folder.name}/${path}`;
  const counter = new LineCounter();
  const doc: Document = parseDocument(text(folder, path), { lineCounter: counter, prettyErrors: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const line = err.linePos?.[0].line ?? 1;
    throw invalid(`${shown}:${line}: not valid YAML (${err.message.split('\n')[0]})`, [], `${shown}:${line}`);
  }
  const parsed = schema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    const line = lineOf(doc, counter, path);
    throw problem(`${shown}:${line}`, path.length > 0 ? path.join('.') : '(root)', issue.message);
  }
  return { ...(parsed.data as object), where: `${shown}:1` } as z.infer<S> & Located;
}

/** The line of the deepest node of `path` that exists: a missing key points at its parent mapping. */
function lineOf(doc: Document, counter: LineCounter, path: (string | number)[]): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return counter.linePos(range[0]).line;
  }
  return 1;
}

function csvFile(
  folder: StudyFolder,
  path: string,
  required: string[],
): { header: string[]; rows: CsvRow[]; shown: string } {
  const shown = `${folder.name}/${path}`;
  try {
    return { ...parseCsv(text(folder, path), required), shown };
  } catch (err) {
    if (err instanceof CsvError) throw invalid(`${shown}:${err.line}: ${err.message}`, [], `${shown}:${err.line}`);
    throw err;
  }
}

function finite(where: string, field: string, raw: string | undefined): number {
  const value = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(value)) throw problem(where, field, `'${raw ?? ''}' is not a finite number`);
  return value;
}

function required(where: string, field: string, raw: string | undefined): string {
  if (raw === undefined || raw === '') throw problem(where, field, 'required');
  return raw;
}

function readRuns(folder: StudyFolder, path: string): StudyRun[] {
  const { rows, shown } = csvFile(folder, path, ['backbone', 'target', 'fold', 'value']);
  const byPair = new Map<
    string,
    { backbone: string | null; target: string; where: string; folds: Map<number, number>; single: boolean }
  >();
  for (const row of rows) {
    const where = `${shown}:${row.line}`;
    const backbone = row.values.backbone === '' ? null : row.values.backbone!;
    const target = required(where, 'target', row.values.target);
    const value = finite(where, 'value', row.values.value);
    if (value < 0 || value > 1) throw problem(where, 'value', `${value} is outside the metric's range [0, 1]`);
    const foldText = row.values.fold!;
    const fold = foldText === '' ? 1 : Number(foldText);
    if (!Number.isInteger(fold) || fold < 1)
      throw problem(where, 'fold', `'${foldText}' is not a fold number (1, 2, ...) or empty`);
    const key = `${backbone ?? ''}\u0000${target}`;
    const pair = byPair.get(key) ?? {
      backbone,
      target,
      where,
      folds: new Map<number, number>(),
      single: foldText === '',
    };
    if (pair.folds.has(fold) || (pair.folds.size > 0 && (pair.single || foldText === ''))) {
      throw problem(
        where,
        'fold',
        `a second value for ${backbone ?? 'the baseline'} on ${target}${foldText === '' ? '' : ` fold ${fold}`}: one value per backbone, target and fold`,
      );
    }
    pair.folds.set(fold, value);
    byPair.set(key, pair);
  }
  return [...byPair.values()].map((p) => {
    const folds = [...p.folds.entries()].sort((a, b) => a[0] - b[0]).map(([fold, value]) => ({ fold, value }));
    const gap = folds.findIndex((f, i) => f.fold !== i + 1);
    if (gap >= 0)
      throw problem(
        p.where,
        'fold',
        `${p.backbone ?? 'the baseline'} on ${p.target} has folds ${folds.map((f) => f.fold).join(', ')}: expected 1 to ${folds.length}`,
      );
    return { backbone: p.backbone, target: p.target, folds, single: p.single, where: p.where };
  });
}

function readSignals(
  folder: StudyFolder,
  path: string,
  declared: Readonly<Record<string, SignalDefinition>>,
): StudySignal[] {
  const probe = csvFile(folder, path, ['target', 'signal', 'value']);
  const subjectKind: SubjectKind | undefined = probe.header.includes('backbone')
    ? 'backbone'
    : probe.header.includes('source')
      ? 'source'
      : undefined;
  if (!subjectKind) throw problem(`${probe.shown}:1`, 'backbone', "the header needs a 'backbone' or a 'source' column");
  const seen = new Set<string>();
  return probe.rows.map((row) => {
    const where = `${probe.shown}:${row.line}`;
    const subject = required(where, subjectKind, row.values[subjectKind]);
    const target = required(where, 'target', row.values.target);
    const signal = required(where, 'signal', row.values.signal);
    checkSignalName(where, signal, subjectKind, declared);
    const value = finite(where, 'value', row.values.value);
    const key = `${subject}\u0000${target}\u0000${signal}`;
    if (seen.has(key))
      throw problem(
        where,
        'signal',
        `a second ${signal} for ${subject} on ${target}: one value per ${subjectKind}, target and signal`,
      );
    seen.add(key);
    return { subjectKind, subject, target, signal, value, where };
  });
}

export function checkSignalName(
  where: string,
  signal: string,
  kind: SubjectKind,
  declared: Readonly<Record<string, SignalDefinition>>,
  field = 'signal',
): SignalDefinition {
  if (!SIGNAL_NAME.test(signal))
    throw problem(
      where,
      field,
      `'${signal}' is not a signal name (lowercase letters, digits and _, optionally @qualifier)`,
    );
  const definition = signalDefinition(signal, declared);
  if (!definition)
    throw problem(where, field, `unknown signal '${signal}': not in the signal catalogue, and no study declares it`);
  if (definition.kind !== kind)
    throw problem(where, field, `'${signal}' is a ${definition.kind} signal, not a ${kind} signal`);
  return definition;
}

function readSpreads(folder: StudyFolder, path: string): StudySpread[] {
  const stats = ['runs', 'min', 'q25', 'median', 'q75', 'max', 'sd'] as const;
  const { rows, shown } = csvFile(folder, path, ['backbone', 'target', ...stats]);
  const seen = new Set<string>();
  return rows.map((row) => {
    const where = `${shown}:${row.line}`;
    const backbone = required(where, 'backbone', row.values.backbone);
    const target = required(where, 'target', row.values.target);
    const [runs, min, q25, median, q75, max, sd] = stats.map((s) => finite(where, s, row.values[s])) as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    if (!Number.isInteger(runs) || runs < 1)
      throw problem(where, 'runs', `'${row.values.runs}' is not a positive whole number`);
    const ordered = [min, q25, median, q75, max];
    const unordered = ordered.findIndex((v, i) => i > 0 && v < ordered[i - 1]!);
    if (unordered > 0) throw problem(where, stats[unordered + 1]!, 'min, q25, median, q75 and max must not decrease');
    if (min < 0 || max > 1) throw problem(where, min < 0 ? 'min' : 'max', "outside the metric's range [0, 1]");
    if (sd < 0) throw problem(where, 'sd', 'must not be negative');
    const key = `${backbone}\u0000${target}`;
    if (seen.has(key)) throw problem(where, 'backbone', `a second spread for ${backbone} on ${target}`);
    seen.add(key);
    return { backbone, target, runs, min, q25, median, q75, max, sd, where };
  });
}

function readExpertDistances(folder: StudyFolder, path: string): Study['expertDistances'] {
  const { rows, shown } = csvFile(folder, path, ['target', 'source', 'hamming_distance']);
  return rows.map((row) => {
    const where = `${shown}:${row.line}`;
    const distance = Number(row.values.hamming_distance);
    if (!Number.isInteger(distance) || distance < 0 || distance > 6)
      throw problem(where, 'hamming_distance', `'${row.values.hamming_distance}' is not an integer from 0 to 6`);
    return {
      target: required(where, 'target', row.values.target),
      source: required(where, 'source', row.values.source),
      distance,
      where,
    };
  });
}

function readEmbeddings(folder: StudyFolder, path: string): StudyEmbeddings {
  const shown = `${folder.name}/${path}`;
  let index: Record<string, unknown>;
  try {
    index = JSON.parse(text(folder, path)) as Record<string, unknown>;
  } catch (err) {
    throw problem(shown, path, `not valid JSON (${(err as Error).message})`);
  }
  const { datasets, probe, method, file, ...options } = index as {
    datasets?: unknown;
    probe?: StudyEmbeddings['probe'];
    method?: unknown;
    file?: unknown;
  };
  if (!Array.isArray(datasets) || datasets.length === 0 || !datasets.every((d) => typeof d === 'string'))
    throw problem(shown, 'datasets', 'a list of dataset ids');
  if (
    !probe ||
    typeof probe.id !== 'string' ||
    typeof probe.architecture !== 'string' ||
    !Number.isInteger(probe.inputSize) ||
    typeof probe.pixelScaling !== 'string'
  ) {
    throw problem(shown, 'probe', 'needs id, architecture, inputSize and pixelScaling');
  }
  if (typeof method !== 'string' || method === '') throw problem(shown, 'method', 'required');
  const npyPath = typeof file === 'string' ? file : path.replace(/\.json$/, '.npy');
  const bytes = folder.files.get(npyPath);
  if (!bytes) throw problem(`${folder.name}/${npyPath}`, 'file', 'file not found in the study folder');
  const array = parseNpy(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const [rows, dim] = array.shape;
  if (array.data.dtype !== 'f4' || array.shape.length !== 2 || rows !== datasets.length || dim === undefined) {
    throw problem(
      `${folder.name}/${npyPath}`,
      'shape',
      `expected float32 [${datasets.length}, D], found ${array.data.dtype} [${array.shape.join(', ')}]`,
    );
  }
  const all = array.data.values as Float32Array;
  return {
    probe,
    method,
    options,
    vectors: (datasets as string[]).map((dataset, i) => ({ dataset, hessian: all.slice(i * dim, (i + 1) * dim) })),
    where: shown,
  };
}

function listed(folder: StudyFolder, dir: string): string[] {
  return [...folder.files.keys()]
    .filter((p) => p.startsWith(`${dir}/`) && /\.ya?ml$/.test(p) && !p.slice(dir.length + 1).includes('/'))
    .sort();
}

function fileId(path: string): string {
  return path
    .split('/')
    .pop()!
    .replace(/\.ya?ml$/, '');
}

/**
 * Parses and checks a study folder on its own: schemas, one value per key, finite values, metric range,
 * ids equal to file names. Nothing here knows the store; see checkStudyIds for the ids it refers to.
 */
export function parseStudy(folder: StudyFolder): Study {
  const { where: _where, ...metaFields } = yamlFile(folder, 'study.yaml', studyFileSchema) as StudyFile & Located;
  const meta = { ...metaFields, where: _where };
  const files = meta.files ?? {};
  const signalDefinitions: Record<string, SignalDefinition> = Object.fromEntries(
    Object.entries(meta.signals ?? {}).map(([name, d]) => [
      name,
      { kind: d.kind, direction: d.direction as Direction, description: d.description },
    ]),
  );

  const backbones = listed(folder, 'backbones').map((path) => {
    const b = yamlFile(folder, path, backboneSchema);
    if (b.id !== fileId(path))
      throw problem(`${folder.name}/${path}:1`, 'id', `'${b.id}' must equal the file name '${fileId(path)}'`);
    return b;
  });
  const datasets = listed(folder, 'datasets').map((path) => {
    const d = yamlFile(folder, path, datasetInputSchema);
    if (d.id !== fileId(path))
      throw problem(`${folder.name}/${path}:1`, 'id', `'${d.id}' must equal the file name '${fileId(path)}'`);
    return d;
  });
  const has = (path: string | undefined, fallback: string): string | undefined =>
    path ?? (folder.files.has(fallback) ? fallback : undefined);
  const resultsPath = has(files.results, 'results.csv');
  if (!resultsPath) throw problem(`${folder.name}/study.yaml:1`, 'files.results', 'a study needs results.csv');
  const signalsPath = has(files.signals, 'signals.csv');
  const spreadPath = has(files.spread, 'spread.csv');

  const runs = readRuns(folder, resultsPath);
  const withBackbone = [...new Set(runs.flatMap((r) => (r.backbone === null ? [] : [r.backbone])))].sort();
  const candidateSets = meta.candidate_sets ?? [
    { id: 'all', description: 'every backbone with a result in the study', backbones: withBackbone },
  ];
  const citation = folder.files.get('CITATION.md');

  return {
    where: meta.where,
    meta,
    candidateSets,
    signalDefinitions,
    backbones,
    datasets,
    runs,
    signals: signalsPath ? readSignals(folder, signalsPath, signalDefinitions) : [],
    spreads: spreadPath ? readSpreads(folder, spreadPath) : [],
    expertDistances: files.expert_distances ? readExpertDistances(folder, files.expert_distances) : [],
    ...definedOnly({
      embeddings: files.embeddings ? readEmbeddings(folder, files.embeddings) : undefined,
      citationText: citation ? new TextDecoder().decode(citation) : undefined,
    }),
  };
}

/** What the store already knows: dataset ids, and backbones with their source. */
export interface KnownIds {
  readonly datasets: ReadonlySet<string>;
  readonly backbones: ReadonlySet<string>;
}

/** Every id a study refers to must be in the store or introduced by the study itself. */
export function checkStudyIds(study: Study, known: KnownIds): void {
  const datasets = new Set([...known.datasets, ...study.datasets.map((d) => d.id)]);
  const backbones = new Set([...known.backbones, ...study.backbones.map((b) => b.id)]);
  const dataset = (where: string, field: string, id: string) => {
    if (!datasets.has(id))
      throw problem(where, field, `unknown dataset '${id}': not in the registry and not in the study's datasets/`);
  };
  const backbone = (where: string, field: string, id: string) => {
    if (!backbones.has(id))
      throw problem(where, field, `unknown backbone '${id}': not stored and not in the study's backbones/`);
  };
  for (const b of study.backbones) dataset(b.where, 'source', b.source);
  for (const r of study.runs) {
    if (r.backbone !== null) backbone(r.where, 'backbone', r.backbone);
    dataset(r.where, 'target', r.target);
  }
  for (const s of study.signals) {
    if (s.subjectKind === 'backbone') backbone(s.where, 'backbone', s.subject);
    else dataset(s.where, 'source', s.subject);
    dataset(s.where, 'target', s.target);
  }
  for (const s of study.spreads) {
    backbone(s.where, 'backbone', s.backbone);
    dataset(s.where, 'target', s.target);
  }
  for (const [i, set] of study.candidateSets.entries())
    for (const b of set.backbones) backbone(study.where, `candidate_sets.${i}.backbones`, b);
  for (const d of study.expertDistances) {
    dataset(d.where, 'source', d.source);
    dataset(d.where, 'target', d.target);
  }
  for (const v of study.embeddings?.vectors ?? []) dataset(study.embeddings!.where, 'datasets', v.dataset);
}
