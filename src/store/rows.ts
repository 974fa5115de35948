import type { Knex } from 'knex';

/** Column values come back as Date from PostgreSQL and as text from SQLite; callers always get ISO strings. */
export function isoTime(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') {
    const normalised = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value) ? `${value.replace(' ', 'T')}Z` : value;
    return new Date(normalised).toISOString();
  }
  throw new TypeError(`not a timestamp: ${String(value)}`);
}

export function nowIso(): string {
  return new Date().toISOString();
}

export function parseJsonColumn<T>(value: unknown): T | undefined {
  if (value === null || value === undefined) return undefined;
  return JSON.parse(String(value)) as T;
}

/** PostgreSQL's count(*) is a bigint, which pg returns as a string. */
export function countOf(row: unknown): number {
  const value = (row as { count?: unknown } | undefined)?.count;
  return Number(value ?? 0);
}

export interface PageRequest {
  readonly page: number;
  readonly pageSize: number;
}

export interface PageOf<T> {
  readonly items: T[];
  readonly page: number;
  readonly page_size: number;
  readonly total: number;
}

/** Every item of a paginated listing, for callers (the CLI, the analysis) that want the whole set. */
export async function collectAll<T>(fetchPage: (page: PageRequest) => Promise<PageOf<T>>): Promise<T[]> {
  const items: T[] = [];
  for (let page = 1; ; page++) {
    const got = await fetchPage({ page, pageSize: 200 });
    items.push(...got.items);
    if (items.length >= got.total || got.items.length === 0) return items;
  }
}

/** A unique or primary-key violation: a concurrent writer stored the same key first. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export function isPostgres(db: Knex): boolean {
  return (db.client as { config?: { client?: unknown } }).config?.client === 'pg';
}
