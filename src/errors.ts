/**
 * Errors that mean "the caller asked for something wrong", as opposed to bugs.
 * The API turns them into problem+json with their `type`; the CLI into exit code 2.
 */

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export type ProblemKind =
  | 'invalid-request'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'incompatible-probes'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'unprocessable';

const STATUS: Record<ProblemKind, number> = {
  'invalid-request': 400,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'incompatible-probes': 409,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  unprocessable: 422,
};

export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  readonly status: number;

  constructor(
    readonly kind: ProblemKind,
    readonly title: string,
    message: string,
    readonly fields: readonly FieldProblem[] = [],
    readonly where?: string,
  ) {
    super(message);
    this.status = STATUS[kind];
  }
}

export const notFound = (what: string, id: string, field = 'id'): ProblemError =>
  new ProblemError('not-found', `Unknown ${what}`, `no ${what} with id '${id}'`, [{ field, message: `unknown ${what} '${id}'` }]);

export const invalid = (message: string, fields: readonly FieldProblem[] = [], where?: string): ProblemError =>
  new ProblemError('invalid-request', 'Invalid input', message, fields, where);

export const conflict = (message: string, fields: readonly FieldProblem[] = []): ProblemError =>
  new ProblemError('conflict', 'Conflict', message, fields);
