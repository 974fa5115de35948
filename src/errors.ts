/**
 * Errors that mean "the caller asked for something wrong", as opposed to bugs. Each carries a code
 * from one closed list; the API maps the code to a status and a problem type, the CLI to exit code 2.
 */

/** A problem with one input field, named as the caller wrote it. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export const ERROR_CODES = [
  'invalid-request',
  'unauthorized',
  'forbidden',
  'not-found',
  'conflict',
  'incompatible-probes',
  'payload-too-large',
  'unsupported-media-type',
  'unprocessable',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: ErrorCode,
    readonly title: string,
    message: string,
    readonly fields: readonly FieldError[] = [],
    readonly where?: string,
  ) {
    super(message);
  }

  /** The first offending field, if the error names one. */
  get field(): string | undefined {
    return this.fields[0]?.field;
  }
}

export const notFound = (what: string, id: string, field = 'id'): AppError =>
  new AppError('not-found', `Unknown ${what}`, `no ${what} with id '${id}'`, [
    { field, message: `unknown ${what} '${id}'` },
  ]);

export const invalid = (message: string, fields: readonly FieldError[] = [], where?: string): AppError =>
  new AppError('invalid-request', 'Invalid input', message, fields, where);

export const conflict = (message: string, fields: readonly FieldError[] = []): AppError =>
  new AppError('conflict', 'Conflict', message, fields);
