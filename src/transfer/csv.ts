/**
 * Turns a results CSV into raw contributions for validateBatch. The study's own layout
 * (`source,target,fold_1..fold_n`) is accepted; architecture, protocol and provenance come from
 * optional columns or from `defaults` (e.g. CLI flags) when the file has no such column.
 */
import type { FieldError } from './types.js';
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

/** RFC 4180 fields: commas, double quotes with "" escapes, CRLF or LF line ends. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0]!.trim() === ''));
}

const FOLD_COLUMN = /^fold_(\d+)$/;

function numberOrText(text: string): number | string {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

export function contributionsFromCsv(text: string, defaults: CsvDefaults = {}): Validation<unknown[]> {
  const rows = parseCsv(text.replace(/^\uFEFF/, ''));
  const header = rows[0]?.map((h) => h.trim().toLowerCase());
  if (header === undefined) return { ok: false, errors: [{ path: '(file)', message: 'empty CSV' }] };
  const errors: FieldError[] = [];
  for (const required of ['source', 'target']) {
    if (!header.includes(required)) errors.push({ path: '(header)', message: `missing column '${required}'` });
  }
  const foldColumns = header.flatMap((h, i) => {
    const m = FOLD_COLUMN.exec(h);
    return m ? [{ fold: Number(m[1]), column: i }] : [];
  });
  if (foldColumns.length === 0) errors.push({ path: '(header)', message: 'no fold columns (fold_1, fold_2, ...)' });
  if (errors.length > 0) return { ok: false, errors };
  const col = (name: string) => header.indexOf(name);
  const out: unknown[] = [];
  rows.slice(1).forEach((cells, r) => {
    if (cells.length !== header.length) {
      errors.push({ path: `row ${r + 2}`, message: `has ${cells.length} fields, the header has ${header.length}` });
      return;
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
    out.push({
      source: cell('source') ?? '',
      target: cell('target') ?? '',
      architecture: cell('architecture') ?? defaults.architecture,
      protocol: {
        folds: foldColumns.length,
        metric: cell('metric') ?? defaults.metric ?? 'auc-ovr-weighted',
        imageSize: int('image_size', defaults.imageSize),
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
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: out };
}
