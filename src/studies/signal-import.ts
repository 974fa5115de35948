import { z } from 'zod';
import { CsvError, parseCsv } from '../csv.js';
import { invalid } from '../errors.js';
import { checkSignalName } from './parse.js';
import type { SignalDefinition, SubjectKind } from './signals.js';
import { definedOnly } from '../defaults.js';

/** One pair signal to import, with where it came from for messages. */
export interface SignalRow {
  readonly subject_kind: SubjectKind;
  readonly subject: string;
  readonly target: string;
  readonly signal: string;
  readonly value: number;
  readonly provenance: string;
  readonly where: string;
  /** Prefix of the row's fields in a request body, e.g. `signals[3]`. */
  readonly field?: string;
}

/** A row as a client sends it, before checking: values may be anything. */
export interface RawSignal {
  readonly subject_kind?: unknown;
  readonly subject?: unknown;
  readonly target?: unknown;
  readonly signal?: unknown;
  readonly value?: unknown;
  readonly provenance?: unknown;
}

const PROVENANCE = /^[A-Za-z0-9][A-Za-z0-9:._@/-]{0,199}$/;

function problem(where: string, field: string, message: string) {
  return invalid(`${where}: field '${field}': ${message}`, [{ field, message }], where);
}

const required = z.string({ error: 'required' }).trim().min(1, { error: 'required' });

/** A number, or a non-empty string that reads as one (a CSV cell). */
function numberOf(v: unknown): number {
  if (typeof v === 'number') return v;
  return typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
}

function rowSchema(defaultProvenance: string | undefined) {
  return z.object({
    subject_kind: required.pipe(
      z.enum(['backbone', 'source'], {
        error: (issue) => `'${String(issue.input)}' is neither 'backbone' nor 'source'`,
      }),
    ),
    subject: required,
    target: required,
    signal: required,
    value: z
      .unknown()
      .refine((v) => Number.isFinite(numberOf(v)), {
        error: (issue) => `'${String(issue.input ?? '')}' is not a finite number`,
      })
      .transform(numberOf),
    provenance: z.preprocess(
      (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : defaultProvenance),
      z.string({ error: 'required: say who measured this (a column, or --provenance)' }).regex(PROVENANCE, {
        error: (issue) => `'${String(issue.input)}' is not a provenance (letters, digits and : . _ @ / -)`,
      }),
    ),
  });
}

/**
 * Checks signals on their own: subject kind, signal name known (catalogue or a stored study's
 * declaration) and of that kind, finite value, provenance given, one value per key. Ids are the caller's.
 * The first problem refuses the whole set.
 */
export function checkSignalRows(
  raw: readonly (RawSignal & { where: string; field?: string })[],
  declared: Readonly<Record<string, SignalDefinition>>,
  defaultProvenance?: string,
): SignalRow[] {
  const schema = rowSchema(defaultProvenance);
  const seen = new Set<string>();
  return raw.map((r) => {
    const at = (field: string) => (r.field ? `${r.field}.${field}` : field);
    const parsed = schema.safeParse(r);
    if (!parsed.success) {
      const first = parsed.error.issues[0]!;
      throw problem(r.where, at(first.path.map(String).join('.')), first.message);
    }
    const { subject_kind: kind, subject, target, signal, value, provenance } = parsed.data;
    checkSignalName(r.where, signal, kind, declared, at('signal'));
    const key = [kind, subject, target, signal, provenance].join('\u0000');
    if (seen.has(key))
      throw problem(
        r.where,
        at('signal'),
        `a second ${signal} for ${kind} ${subject} on ${target} from ${provenance}: one value per key`,
      );
    seen.add(key);
    return {
      subject_kind: kind,
      subject,
      target,
      signal,
      value,
      provenance,
      where: r.where,
      ...definedOnly({ field: r.field || undefined }),
    };
  });
}

/**
 * Reads a signals CSV: `subject_kind,subject,target,signal,value[,provenance]`, or a study's form
 * `backbone,target,signal,value` / `source,target,signal,value`.
 */
export function signalsFromCsv(text: string, name: string): (RawSignal & { where: string })[] {
  let parsed;
  try {
    parsed = parseCsv(text, ['target', 'signal', 'value']);
  } catch (err) {
    if (err instanceof CsvError) throw invalid(`${name}:${err.line}: ${err.message}`, [], `${name}:${err.line}`);
    throw err;
  }
  const { header, rows } = parsed;
  const kindColumn = header.includes('subject_kind')
    ? undefined
    : header.includes('backbone')
      ? 'backbone'
      : header.includes('source')
        ? 'source'
        : null;
  if (kindColumn === null || (kindColumn === undefined && !header.includes('subject'))) {
    throw problem(
      `${name}:1`,
      'subject',
      "the header needs 'subject_kind' and 'subject', or a 'backbone' or 'source' column",
    );
  }
  return rows.map((row) => ({
    subject_kind: kindColumn ?? row.values.subject_kind,
    subject: kindColumn ? row.values[kindColumn] : row.values.subject,
    target: row.values.target,
    signal: row.values.signal,
    value: row.values.value,
    provenance: row.values.provenance,
    where: `${name}:${row.line}`,
  }));
}

/** Ids a set of signals refers to, to check against the store. */
export function checkSignalIds(
  rows: readonly SignalRow[],
  known: { datasets: ReadonlySet<string>; backbones: ReadonlySet<string> },
): void {
  for (const r of rows) {
    const at = (field: string) => (r.field ? `${r.field}.${field}` : field);
    if (r.subject_kind === 'backbone' && !known.backbones.has(r.subject))
      throw problem(r.where, at('subject'), `unknown backbone '${r.subject}'`);
    if (r.subject_kind === 'source' && !known.datasets.has(r.subject))
      throw problem(r.where, at('subject'), `unknown dataset '${r.subject}'`);
    if (!known.datasets.has(r.target)) throw problem(r.where, at('target'), `unknown dataset '${r.target}'`);
  }
}
