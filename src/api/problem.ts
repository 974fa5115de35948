import type { ErrorRequestHandler, Response } from 'express';
import { AppError, type ErrorCode, type FieldError } from '../errors.js';
import { isStoreUnavailable, RETRY_AFTER_SECONDS } from '../services/index.js';
import { definedOnly } from '../defaults.js';

export const PROBLEM_TYPE_PREFIX = 'urn:transfer-atlas:problem:';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  field?: string;
  errors?: FieldError[];
}

export function sendProblem(res: Response, body: ProblemBody): void {
  res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}

interface ValidatorError {
  status: number;
  message: string;
  errors?: { path?: string; message: string }[];
}

function isValidatorError(err: unknown): err is ValidatorError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as ValidatorError).status === 'number' &&
    Array.isArray((err as ValidatorError).errors)
  );
}

/**
 * `/body/images` or `/query/page_size` from the validator becomes `images` or `page_size`. Paths
 * outside the request's parts (the validator names the route for a wrong method or media type)
 * are no field of the caller's, so they give none.
 */
function fieldOf(path: string | undefined): string | undefined {
  const match = /^\.?\/?(body|query|params|path|headers)(?:[/.](.*))?$/.exec(path ?? '');
  if (!match) return undefined;
  return match[2] ? match[2].replace(/\//g, '.') : `(${match[1]})`;
}

/** Problem kinds: the error catalogue's codes plus the two that only HTTP itself produces. */
type ProblemKind = ErrorCode | 'method-not-allowed' | 'internal';

/**
 * The one map from a problem kind to its status, and the title used when the error has none of
 * its own (the validator's, Express's and body-parser's).
 */
const PROBLEMS: Record<ProblemKind, { readonly status: number; readonly title: string }> = {
  'invalid-request': { status: 400, title: 'Invalid request' },
  unauthorized: { status: 401, title: 'Token required' },
  forbidden: { status: 403, title: 'Forbidden' },
  'not-found': { status: 404, title: 'No such route' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  'incompatible-probes': { status: 409, title: 'Incompatible probes' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  unprocessable: { status: 422, title: 'Unprocessable' },
  internal: { status: 500, title: 'Internal error' },
};

/** The kind of a 4xx that did not come from the catalogue: the first with its status, else a bad request. */
function byStatus(status: number): { kind: ProblemKind; title: string } {
  const kind = (Object.keys(PROBLEMS) as ProblemKind[]).find((k) => PROBLEMS[k].status === status) ?? 'invalid-request';
  return { kind, title: PROBLEMS[kind].title };
}

export const problemHandler: ErrorRequestHandler = (err, req, res, _next) => {
  if (err instanceof AppError) {
    sendProblem(res, {
      type: PROBLEM_TYPE_PREFIX + err.code,
      title: err.title,
      status: PROBLEMS[err.code].status,
      detail: err.message,
      instance: req.originalUrl,
      ...definedOnly({ field: err.fields[0] ? err.fields[0].field : undefined }),
      ...(err.fields.length > 0 ? { errors: [...err.fields] } : {}),
    });
    return;
  }
  if (isValidatorError(err) && err.status >= 400 && err.status < 500) {
    const { kind, title } = byStatus(err.status);
    const errors = (err.errors ?? []).flatMap((e) => {
      const field = fieldOf(e.path);
      return field === undefined ? [] : [{ field, message: e.message }];
    });
    const messages = (err.errors ?? []).map((e) => {
      const field = fieldOf(e.path);
      return field === undefined ? e.message : `${field}: ${e.message}`;
    });
    sendProblem(res, {
      type: PROBLEM_TYPE_PREFIX + kind,
      title,
      status: err.status,
      detail: messages.length > 0 ? messages.join('; ') : err.message,
      instance: req.originalUrl,
      ...definedOnly({ field: errors[0] ? errors[0].field : undefined }),
      ...(errors.length > 0 ? { errors } : {}),
    });
    return;
  }
  // body-parser's errors (malformed JSON, too large) carry a 4xx status.
  const status = (err as { status?: number }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const { kind, title } = byStatus(status);
    sendProblem(res, {
      type: PROBLEM_TYPE_PREFIX + kind,
      title,
      status,
      detail: (err as Error).message,
      instance: req.originalUrl,
    });
    return;
  }
  if (isStoreUnavailable(err)) {
    res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    sendProblem(res, {
      type: PROBLEM_TYPE_PREFIX + 'unavailable',
      title: 'Store unavailable',
      status: 503,
      detail: `the database cannot be reached; retry in ${RETRY_AFTER_SECONDS} seconds`,
      instance: req.originalUrl,
    });
    return;
  }
  console.error(err);
  sendProblem(res, {
    type: PROBLEM_TYPE_PREFIX + 'internal',
    title: PROBLEMS.internal.title,
    status: PROBLEMS.internal.status,
    detail: 'the server failed; the error is logged',
    instance: req.originalUrl,
  });
};
