import { conflict, AppError, type FieldError } from '../errors.js';
import type { IngestionError } from '../images/index.js';

/** Per-file entries a problem lists; the message says how many there were in all. */
export const MAX_LISTED_DETAILS = 20;

/**
 * An ingestion failure the caller can fix, as a AppError, or undefined for one that is the server's fault. `field` is the request field that
 * named the data; `display` the name the user knows it by, put first so one line says where.
 */
export function ingestionProblem(e: IngestionError, field: string, display: string, id: string): AppError | undefined {
  // The existing folder is named by its id: its server-side path is nobody's business.
  if (e.code === 'TARGET_EXISTS')
    return conflict(`dataset '${id}' already has stored images; choose another id`, [
      { field: 'id', message: 'already stored' },
    ]);
  const code = e.appCode;
  if (code === null) return undefined;
  const message = e.message.startsWith(display) ? e.message : `${display}: ${e.message}`;
  const fields: FieldError[] = [
    { field, message: e.file !== undefined ? `${e.code}: ${e.file}` : e.code },
    ...e.details.slice(0, MAX_LISTED_DETAILS).map((d) => ({ field, message: `${d.file}: ${d.reason} (${d.code})` })),
  ];
  if (e.details.length > MAX_LISTED_DETAILS)
    fields.push({ field, message: `and ${e.details.length - MAX_LISTED_DETAILS} more` });
  return new AppError(code, 'Dataset refused', message.replace(/\s*\n\s*/g, ' '), fields);
}
