/**
 * What every request must satisfy before a handler or a store sees it. The two stores differ
 * where the spec is silent: PostgreSQL refuses NUL in text and integers beyond 32 bits, SQLite
 * keeps both. Refusing them here, naming the field, keeps the stores holding the same data.
 */
import { readFileSync } from 'node:fs';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { parse } from 'yaml';
import { AppError, invalid } from '../errors.js';
import { INT32_MAX, INT32_MIN, plainProblem } from '../plain.js';

type Schema = Record<string, unknown>;

function isIntegerSchema(schema: Schema): boolean {
  const type = schema.type;
  return type === 'integer' || (Array.isArray(type) && type.includes('integer'));
}

/**
 * The spec as the validator enforces it: every integer the spec leaves unbounded is bounded to
 * 32 bits, the integer column of both stores, so new fields get the bound without anyone thinking of it.
 */
export function loadSpec(path: string): Schema {
  const spec = parse(readFileSync(path, 'utf8')) as Schema;
  const pending: unknown[] = [spec];
  while (pending.length > 0) {
    const node = pending.pop();
    if (Array.isArray(node)) pending.push(...node);
    else if (node !== null && typeof node === 'object') {
      const schema = node as Schema;
      if (isIntegerSchema(schema)) {
        schema.maximum ??= INT32_MAX;
        schema.minimum ??= INT32_MIN;
      }
      pending.push(...Object.values(schema));
    }
  }
  return spec;
}

/**
 * Walks a parsed body or query: NUL in a key or a string, nesting past MAX_DEPTH, and integers past
 * 32 bits in free-form objects (which the spec cannot bound) are refused.
 */
export function checkPlainValue(value: unknown, root = ''): void {
  const problem = plainProblem(value, root);
  if (problem) throw invalid(problem.detail, [{ field: problem.field, message: problem.message }]);
}

/** Nesting is reported at the top-level field that holds it, which is what a caller can fix. */
function checkBody(body: unknown): void {
  if (body === null || typeof body !== 'object') return checkPlainValue(body);
  for (const [key, child] of Object.entries(body)) {
    if (key.includes('\u0000')) checkPlainValue({ [key]: child });
    checkPlainValue(child, key);
  }
}

/** After the validator: the body, multipart fields included, and the query are parsed by then. */
export const plainInput: RequestHandler = (req, _res, next) => {
  let path: string;
  try {
    path = decodeURIComponent(req.path);
  } catch {
    return next(
      invalid('the path is not valid percent-encoding', [{ field: '(path)', message: 'malformed percent-encoding' }]),
    );
  }
  if (path.includes('\u0000'))
    return next(
      invalid('NUL characters are not allowed in the path', [
        { field: '(path)', message: 'must not contain NUL characters' },
      ]),
    );
  try {
    checkBody(req.body);
    for (const [key, value] of Object.entries(req.query)) checkPlainValue(value, key);
  } catch (e) {
    return next(e);
  }
  next();
};

/** Server-side failures in the upload storage, kept apart from the form errors busboy raises. */
const serverFailures = new WeakSet<object>();

export function serverFailure(e: unknown): Error {
  const wrapped = new OpenApiValidator.error.InternalServerError({
    path: '/body/file',
    message: (e as Error)?.message ?? String(e),
  });
  serverFailures.add(wrapped);
  return wrapped;
}

/**
 * busboy's complaints about a malformed form (a missing boundary, a truncated part) reach us as
 * the validator's 500; they are the caller's mistake, so they become a 400.
 */
export const malformedMultipart: ErrorRequestHandler = (err, req, _res, next) => {
  const multipart = req.is('multipart/form-data') !== false && req.is('multipart/form-data') !== null;
  if (multipart && err instanceof OpenApiValidator.error.InternalServerError && !serverFailures.has(err)) {
    return next(
      invalid(`the multipart form is malformed: ${err.message}`, [{ field: '(body)', message: err.message }]),
    );
  }
  next(err);
};

/** Room for the form's other fields and part headers around the file itself. */
export const FORM_ALLOWANCE = 64 * 1024;

/**
 * Refuses an upload whose declared length is already over the limit, before reading a byte of
 * it; the connection is closed after the answer, so the client stops sending.
 */
export function declaredLength(limit: () => number): RequestHandler {
  return (req, res, next) => {
    const declared = Number(req.get('content-length'));
    const max = limit() + FORM_ALLOWANCE;
    if (Number.isFinite(declared) && declared > max) {
      res.set('Connection', 'close');
      return next(
        new AppError(
          'payload-too-large',
          'Payload too large',
          `the request declares ${declared} bytes, over the upload limit of ${limit()} bytes (TA_MAX_UPLOAD_BYTES)`,
          [{ field: 'file', message: `at most ${limit()} bytes` }],
        ),
      );
    }
    next();
  };
}
