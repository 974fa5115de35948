/**
 * Turns a results CSV into raw contributions for validateBatch, in the form the API takes them. The study's own layout
 * (`source,target,fold_1..fold_n`) is accepted; architecture, protocol and provenance come from
 * optional columns or from `defaults` (e.g. CLI flags) when the file has no such column.
 */
import { CsvError, parseCsvRecords, type CsvRecord } from '../csv.js';
import type { FieldError } from '../errors.js';
import type { Validation } from './validate.js';

export interface CsvDefaults {
  readonly architecture?: string;
  readonly metric?: string;
  readonly imageSize?: number;
  readonly epochs?: number;
  readonly notes?: string;
  readonly contributor?: string;
  readonly doi?: string;
  readonly url?: string;
}

const FOLD_COLUMN = /^fold_(\d+)$/;

function numberOrText(text: string): number | string {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

/** Raw contributions, and the file line each one came from, so that errors can point at the line. */
export interface CsvContributions {
  readonly items: unknown[];
  readonly lines: number[];
}

export function contributionsFromCsv(text: string, defaults: CsvDefaults = {}): Validation<CsvContributions> {
  let records: CsvRecord[];
  try {
    records = parseCsvRecords(text);
  } catch (err) {
    if (err instanceof CsvError) return { ok: false, errors: [{ field: `line ${err.line}`, message: err.message }] };
    throw err;
  }
  const header = records[0]?.fields.map((h) => h.trim().toLowerCase());
  if (header === undefined) return { ok: false, errors: [{ field: '(file)', message: 'empty CSV' }] };
  const errors: FieldError[] = [];
  for (const required of ['source', 'target']) {
    if (!header.includes(required)) errors.push({ field: '(header)', message: `missing column '${required}'` });
  }
  const foldColumns = header.flatMap((h, i) => {
    const m = FOLD_COLUMN.exec(h);
    return m ? [{ fold: Number(m[1]), column: i }] : [];
  });
  if (foldColumns.length === 0) errors.push({ field: '(header)', message: 'no fold columns (fold_1, fold_2, ...)' });
  if (errors.length > 0) return { ok: false, errors };
  const col = (name: string) => header.indexOf(name);
  const out: unknown[] = [];
  const lines: number[] = [];
  for (const { fields: cells, line } of records.slice(1)) {
    if (cells.length !== header.length) {
      errors.push({ field: `line ${line}`, message: `has ${cells.length} fields, the header has ${header.length}` });
      continue;
    }
    const cell = (name: string): string | undefined => {
      const i = col(name);
      const v = i >= 0 ? cells[i]!.trim() : '';
      return v === '' ? undefined : v;
    };
    const int = (name: string, fallback: number | undefined) => {
      const v = cell(name);
      return v === undefined ? fallback : numberOrText(v);
    };
    lines.push(line);
    out.push({
      source: cell('source') ?? '',
      target: cell('target') ?? '',
      architecture: cell('architecture') ?? defaults.architecture,
      protocol: {
        folds: foldColumns.length,
        metric: cell('metric') ?? defaults.metric ?? 'auc-ovr-weighted',
        image_size: int('image_size', defaults.imageSize),
        epochs: int('epochs', defaults.epochs),
        notes: cell('notes') ?? defaults.notes,
      },
      folds: foldColumns.map(({ fold, column }) => ({ fold, value: numberOrText(cells[column]!.trim()) })),
      provenance: {
        contributor: cell('contributor') ?? defaults.contributor,
        doi: cell('doi') ?? defaults.doi,
        url: cell('url') ?? defaults.url,
      },
    });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: { items: out, lines } };
}
