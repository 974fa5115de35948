import type { ErrorRequestHandler, Response } from 'express';
import { ProblemError, type FieldProblem } from '../errors.js';

export const PROBLEM_TYPE_PREFIX = 'urn:transfer-atlas:problem:';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  field?: string;
  errors?: FieldProblem[];
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
  return typeof err === 'object' && err !== null && typeof (err as ValidatorError).status === 'number' && Array.isArray((err as ValidatorError).errors);
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

/** Problem kinds and titles of the 4xx statuses that come from Express, body-parser or the validator. */
const BY_STATUS: Record<number, { kind: string; title: string }> = {
  400: { kind: 'invalid-request', title: 'Invalid request' },
  404: { kind: 'not-found', title: 'No such route' },
  405: { kind: 'method-not-allowed', title: 'Method not allowed' },
  413: { kind: 'payload-too-large', title: 'Payload too large' },
  415: { kind: 'unsupported-media-type', title: 'Unsupported media type' },
};

function byStatus(status: number): { kind: string; title: string } {
  return BY_STATUS[status] ?? { kind: 'invalid-request', title: 'Invalid request' };
}

export const problemHandler: ErrorRequestHandler = (err, req, res, _next) => {
  if (err instanceof ProblemError) {
    sendProblem(res, {
      type: PROBLEM_TYPE_PREFIX + err.kind,
      title: err.title,
      status: err.status,
      detail: err.message,
      instance: req.originalUrl,
      ...(err.fields[0] ? { field: err.fields[0].field } : {}),
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
      ...(errors[0] ? { field: errors[0].field } : {}),
      ...(errors.length > 0 ? { errors } : {}),
    });
    return;
  }
  // body-parser's errors (malformed JSON, too large) carry a 4xx status.
  const status = (err as { status?: number }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const { kind, title } = byStatus(status);
    sendProblem(res, { type: PROBLEM_TYPE_PREFIX + kind, title, status, detail: (err as Error).message, instance: req.originalUrl });
    return;
  }
  console.error(err);
  sendProblem(res, { type: PROBLEM_TYPE_PREFIX + 'internal', title: 'Internal error', status: 500, detail: 'the server failed; the error is logged', instance: req.originalUrl });
};
