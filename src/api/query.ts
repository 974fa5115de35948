import type { Request } from 'express';
import type { PageRequest } from '../services/index.js';

/** The validator has already checked and coerced the query against the spec; this only reads it. */
export function pageOf(req: Request): PageRequest {
  const q = req.query as Record<string, unknown>;
  return { page: Number(q.page ?? 1), pageSize: Number(q.page_size ?? 50) };
}

export function stringParam(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function booleanParam(req: Request, name: string): boolean | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  return value === true || value === 'true';
}
