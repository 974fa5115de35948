import { conflict, ProblemError, type FieldProblem, type ProblemKind } from '../errors.js';
import type { IngestionError } from '../images/index.js';

const KIND_BY_STATUS: Record<number, ProblemKind> = {
  400: 'invalid-request',
  404: 'not-found',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable',
};

/**
 * An ingestion failure the caller can fix, as a ProblemError (problem+json in the API, exit 2 in
 * the CLI), or undefined for one that is the server's fault. `field` is the request field that
 * named the data; `display` the name the user knows it by, put first so one line says where.
 */
export function ingestionProblem(e: IngestionError, field: string, display: string, id: string): ProblemError | undefined {
  // The existing folder is named by its id: its server-side path is nobody's business.
  if (e.code === 'TARGET_EXISTS') return conflict(`dataset '${id}' already has stored images; choose another id`, [{ field: 'id', message: 'already stored' }]);
  const kind = KIND_BY_STATUS[e.httpStatus];
  if (!kind) return undefined;
  const message = e.message.startsWith(display) ? e.message : `${display}: ${e.message}`;
  const fields: FieldProblem[] = [
    { field, message: e.file !== undefined ? `${e.code}: ${e.file}` : e.code },
    ...e.details.map((d) => ({ field, message: `${d.file}: ${d.reason} (${d.code})` })),
  ];
  return new ProblemError(kind, 'Dataset refused', message.replace(/\s*\n\s*/g, ' '), fields);
}
