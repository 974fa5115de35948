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

/** `/body/images` or `/query/page_size` from the validator becomes `images` or `page_size`. */
function fieldOf(path: string | undefined): string {
  if (!path) return '(request)';
  return path.replace(/^\.?\/?(body|query|params|path|headers)[/.]?/, '').replace(/\//g, '.') || '(body)';
}

const KIND_BY_STATUS: Record<number, string> = {
  400: 'invalid-request',
  404: 'not-found',
  405: 'method-not-allowed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
};

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
    const errors = (err.errors ?? []).map((e) => ({ field: fieldOf(e.path), message: e.message }));
    const kind = KIND_BY_STATUS[err.status] ?? 'invalid-request';
    sendProblem(res, {
      type: PROBLEM_TYPE_PREFIX + kind,
      title: kind === 'not-found' ? 'No such route' : 'Invalid request',
      status: err.status,
      detail: errors.length > 0 ? errors.map((e) => `${e.field}: ${e.message}`).join('; ') : err.message,
      instance: req.originalUrl,
      ...(errors[0] ? { field: errors[0].field } : {}),
      ...(errors.length > 0 ? { errors } : {}),
    });
    return;
  }
  // body-parser's errors (malformed JSON, too large) carry a 4xx status and `type`.
  const status = (err as { status?: number }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const kind = KIND_BY_STATUS[status] ?? 'invalid-request';
    sendProblem(res, { type: PROBLEM_TYPE_PREFIX + kind, title: 'Invalid request', status, detail: (err as Error).message, instance: req.originalUrl });
    return;
  }
  console.error(err);
  sendProblem(res, { type: PROBLEM_TYPE_PREFIX + 'internal', title: 'Internal error', status: 500, detail: 'the server failed; the error is logged', instance: req.originalUrl });
};
