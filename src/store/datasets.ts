import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Dataset, DatasetInput, RecordOrigin } from '../registry/index.js';
import { conflict } from '../errors.js';
import { canonicalJson } from './canonical.js';
import { countOf, isoTime, isUniqueViolation, nowIso, parseJsonColumn, type PageOf, type PageRequest } from './rows.js';
import { definedOnly } from '../defaults.js';

export interface DatasetFilter {
  readonly origin?: 'natural' | 'medical';
  readonly modality?: string;
}

interface DatasetRow {
  id: string;
  name: string;
  description: string;
  origin: 'natural' | 'medical';
  modality: string;
  images: number;
  classes: number;
  image_size: string;
  channels: number;
  licence: string;
  citation: string | null;
  homepage: string | null;
  backbone: string | null;
  expert_features: string | null;
  origin_of_record: RecordOrigin;
  content_hash: string;
  created_at: unknown;
  updated_at: unknown;
}

/** Stable over key order, so that re-seeding an unchanged file is recognised as unchanged. */
export function contentHash(input: DatasetInput): string {
  return createHash('sha256').update(canonicalJson(input)).digest('hex');
}

function toDataset(row: DatasetRow): Dataset {
  const expert = parseJsonColumn<Dataset['expert_features']>(row.expert_features);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    origin: row.origin,
    modality: row.modality,
    images: Number(row.images),
    classes: Number(row.classes),
    image_size: row.image_size,
    channels: Number(row.channels) as 1 | 3,
    licence: row.licence,
    ...definedOnly({
      citation: row.citation ?? undefined,
      homepage: row.homepage ?? undefined,
      backbone: row.backbone ?? undefined,
      expert_features: expert || undefined,
    }),
    record_origin: row.origin_of_record,
    created_at: isoTime(row.created_at),
    updated_at: isoTime(row.updated_at),
  };
}

function toRow(input: DatasetInput, origin: RecordOrigin) {
  return {
    id: input.id,
    name: input.name,
    description: input.description,
    origin: input.origin,
    modality: input.modality,
    images: input.images,
    classes: input.classes,
    image_size: input.image_size,
    channels: input.channels,
    licence: input.licence,
    citation: input.citation ?? null,
    homepage: input.homepage ?? null,
    backbone: input.backbone ?? null,
    expert_features: input.expert_features ? JSON.stringify(input.expert_features) : null,
    origin_of_record: origin,
    content_hash: contentHash(input),
  };
}

function applyFilter(query: Knex.QueryBuilder, filter: DatasetFilter): Knex.QueryBuilder {
  if (filter.origin) query.where('origin', filter.origin);
  if (filter.modality) query.where('modality', filter.modality.toLowerCase());
  return query;
}

export async function listDatasets(db: Knex, filter: DatasetFilter, page: PageRequest): Promise<PageOf<Dataset>> {
  const total = countOf(await applyFilter(db('datasets').count({ count: '*' }), filter).first());
  const rows = (await applyFilter(db('datasets').select('*'), filter)
    .orderBy('id')
    .limit(page.pageSize)
    .offset((page.page - 1) * page.pageSize)) as DatasetRow[];
  return { items: rows.map(toDataset), page: page.page, page_size: page.pageSize, total };
}

export async function getDataset(db: Knex, id: string): Promise<Dataset | undefined> {
  const row = (await db('datasets').where({ id }).first()) as DatasetRow | undefined;
  return row ? toDataset(row) : undefined;
}

export async function existingDatasetIds(db: Knex, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = (await db('datasets')
    .whereIn('id', [...new Set(ids)])
    .select('id')) as { id: string }[];
  return new Set(rows.map((r) => r.id));
}

/** Registration through the API: a new id only, never an overwrite of someone else's record. */
/** Inserts a dataset row; a concurrent writer of the same id that committed first makes this a conflict, not a crash. */
async function insertNew(db: Knex, id: string, row: Record<string, unknown>): Promise<void> {
  try {
    await db('datasets').insert(row);
  } catch (err) {
    if (isUniqueViolation(err))
      throw conflict(`dataset '${id}' already exists; choose another id`, [
        { field: 'id', message: 'already registered' },
      ]);
    throw err;
  }
}

export async function createDataset(db: Knex, input: DatasetInput, origin: RecordOrigin): Promise<Dataset> {
  if (await getDataset(db, input.id)) {
    throw conflict(`dataset '${input.id}' already exists`, [{ field: 'id', message: 'already registered' }]);
  }
  const now = nowIso();
  await insertNew(db, input.id, { ...toRow(input, origin), created_at: now, updated_at: now });
  return (await getDataset(db, input.id))!;
}

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

/** The registry's seed: writes only what changed, so a second run touches nothing, and never takes over a user's record. */
export async function upsertDataset(db: Knex, input: DatasetInput, origin: RecordOrigin): Promise<UpsertOutcome> {
  const row = toRow(input, origin);
  const existing = (await db('datasets').where({ id: input.id }).first('content_hash', 'origin_of_record')) as
    { content_hash: string; origin_of_record: RecordOrigin } | undefined;
  const now = nowIso();
  if (!existing) {
    await db('datasets').insert({ ...row, created_at: now, updated_at: now });
    return 'created';
  }
  if (existing.origin_of_record !== origin) {
    // A user's dataset (registered or ingested) is theirs: a registry file with the same id must not take it over.
    throw conflict(
      `dataset '${input.id}' already exists as an ${existing.origin_of_record} record; give the ${origin} entry another id`,
      [{ field: 'id', message: `taken by a ${existing.origin_of_record} record` }],
    );
  }
  if (existing.content_hash === row.content_hash) return 'unchanged';
  await db('datasets')
    .where({ id: input.id })
    .update({ ...row, updated_at: now });
  return 'updated';
}

/**
 * An ingested dataset's row, with its profile and the folder of its normalised images (relative
 * to the data folder). Meant to run inside the transaction that completes an ingestion.
 */
export async function createIngestedDataset(
  db: Knex,
  input: DatasetInput,
  profile: unknown,
  imagesDir: string,
): Promise<Dataset> {
  if (await getDataset(db, input.id)) {
    throw conflict(`dataset '${input.id}' already exists; choose another id`, [
      { field: 'id', message: 'already registered' },
    ]);
  }
  const now = nowIso();
  await insertNew(db, input.id, {
    ...toRow(input, 'ingested'),
    profile: JSON.stringify(profile),
    images_dir: imagesDir,
    created_at: now,
    updated_at: now,
  });
  return (await getDataset(db, input.id))!;
}

export interface DatasetStorage {
  /** The ingestion profile as stored, or null for a dataset that was never ingested. */
  readonly profile: unknown;
  /** Folder of the normalised images relative to the data folder, or null. */
  readonly imagesDir: string | null;
}

export async function getDatasetStorage(db: Knex, id: string): Promise<DatasetStorage | undefined> {
  const row = (await db('datasets').where({ id }).first('profile', 'images_dir')) as
    { profile: string | null; images_dir: string | null } | undefined;
  if (!row) return undefined;
  return { profile: parseJsonColumn<unknown>(row.profile) ?? null, imagesDir: row.images_dir ?? null };
}
