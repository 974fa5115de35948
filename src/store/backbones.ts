import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { canonicalJson } from './canonical.js';
import { isoTime, nowIso, parseJsonColumn } from './rows.js';
import type { UpsertOutcome } from './datasets.js';
import { definedOnly } from '../defaults.js';

export interface BackboneWeights {
  readonly provider: string;
  readonly url?: string;
  readonly reference?: string;
  readonly licence: string;
}

export interface NewBackbone {
  readonly id: string;
  readonly source: string;
  readonly architecture: string;
  readonly weights: BackboneWeights;
  readonly description?: string;
  readonly study?: string;
}

export interface StoredBackbone extends NewBackbone {
  readonly created_at: string;
  readonly updated_at: string;
}

interface BackboneRow {
  id: string;
  source_id: string;
  architecture: string;
  weights: string;
  description: string | null;
  study_id: string | null;
  created_at: unknown;
  updated_at: unknown;
}

function fromRow(r: BackboneRow): StoredBackbone {
  return {
    id: r.id,
    source: r.source_id,
    architecture: r.architecture,
    weights: parseJsonColumn<BackboneWeights>(r.weights)!,
    ...definedOnly({ description: r.description ?? undefined, study: r.study_id ?? undefined }),
    created_at: isoTime(r.created_at),
    updated_at: isoTime(r.updated_at),
  };
}

/** The id a result without a named backbone gets: `<source>-<architecture>`, the architecture lower-cased and dashed. */
export function derivedBackboneId(source: string, architecture: string): string {
  return `${source}-${architecture
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')}`;
}

function hashOf(b: NewBackbone): string {
  return createHash('sha256')
    .update(canonicalJson({ ...b }))
    .digest('hex');
}

export async function upsertBackbone(db: Knex, b: NewBackbone): Promise<UpsertOutcome> {
  const hash = hashOf(b);
  const existing = (await db('backbones').where({ id: b.id }).first('content_hash')) as
    { content_hash: string } | undefined;
  if (existing?.content_hash === hash) return 'unchanged';
  const row = {
    source_id: b.source,
    architecture: b.architecture,
    weights: canonicalJson(b.weights),
    description: b.description ?? null,
    study_id: b.study ?? null,
    content_hash: hash,
    updated_at: nowIso(),
  };
  if (existing) {
    await db('backbones').where({ id: b.id }).update(row);
    return 'updated';
  }
  await db('backbones').insert({ id: b.id, ...row, created_at: nowIso() });
  return 'created';
}

/** A contributed result names a source and an architecture; its backbone is created the first time it is seen. */
export async function ensureDerivedBackbone(db: Knex, source: string, architecture: string): Promise<string> {
  const id = derivedBackboneId(source, architecture);
  if (!(await db('backbones').where({ id }).first('id'))) {
    await db('backbones').insert({
      id,
      source_id: source,
      architecture,
      weights: canonicalJson({
        provider: 'unknown',
        reference: 'derived from a contributed result',
        licence: 'unknown',
      }),
      content_hash: '',
      created_at: nowIso(),
      updated_at: nowIso(),
    });
  }
  return id;
}

export async function listBackbones(
  db: Knex,
  filter: { source?: string; study?: string } = {},
): Promise<StoredBackbone[]> {
  const q = db('backbones');
  if (filter.source) q.where('source_id', filter.source);
  if (filter.study) q.where('study_id', filter.study);
  return ((await q.select('*').orderBy('id')) as BackboneRow[]).map(fromRow);
}

export async function getBackbone(db: Knex, id: string): Promise<StoredBackbone | undefined> {
  const row = (await db('backbones').where({ id }).first()) as BackboneRow | undefined;
  return row ? fromRow(row) : undefined;
}

export async function existingBackboneIds(db: Knex): Promise<Set<string>> {
  return new Set(((await db('backbones').select('id')) as { id: string }[]).map((r) => r.id));
}
