/**
 * RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines.
 * Rows carry their 1-based line number so that errors can point at the file's line.
 */
export interface CsvRow {
  readonly line: number;
  readonly values: Record<string, string>;
}

export class CsvError extends Error {
  override readonly name = 'CsvError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

export interface CsvRecord {
  readonly line: number;
  readonly fields: string[];
}

/** Every non-blank record with the line it starts on; a BOM is dropped. */
export function parseCsvRecords(text: string): CsvRecord[] {
  return splitRecords(text.replace(/^\uFEFF/, ''));
}

function splitRecords(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field.length === 0) quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      if (fields.length > 1 || fields[0]!.trim() !== '') records.push({ line: recordLine, fields });
      fields = [];
      field = '';
      line++;
      recordLine = line;
    } else field += c;
  }
  if (quoted) throw new CsvError('unterminated quoted field', recordLine);
  fields.push(field);
  if (fields.length > 1 || fields[0]!.trim() !== '') records.push({ line: recordLine, fields });
  return records;
}

export function parseCsv(text: string, required: readonly string[] = []): { header: string[]; rows: CsvRow[] } {
  const records = parseCsvRecords(text);
  const first = records.shift();
  if (!first) throw new CsvError('empty file: expected a header line', 1);
  const header = first.fields.map((h) => h.trim());
  const missing = required.filter((r) => !header.includes(r));
  if (missing.length > 0) throw new CsvError(`missing column(s) ${missing.join(', ')} in the header`, first.line);
  const rows = records.map(({ line, fields }) => {
    if (fields.length !== header.length) {
      throw new CsvError(`expected ${header.length} fields, found ${fields.length}`, line);
    }
    return { line, values: Object.fromEntries(header.map((h, i) => [h, fields[i]!.trim()])) };
  });
  return { header, rows };
}
