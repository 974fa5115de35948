import type { Knex } from 'knex';
import { isoTime, nowIso } from './rows.js';

/** A fitted ranker as stored: the model itself is the ranking domain's JSON, kept opaque here. */
export interface StoredRanker {
  readonly version: string;
  readonly trainingHash: string;
  readonly signals: readonly string[];
  readonly model: string;
  readonly summary: Record<string, unknown>;
  readonly createdAt: string;
}

interface RankerRow {
  version: string;
  training_hash: string;
  signals: string;
  model: string;
  summary: string;
  created_at: unknown;
}

function toRanker(row: RankerRow): StoredRanker {
  return {
    version: row.version,
    trainingHash: row.training_hash,
    signals: JSON.parse(row.signals) as string[],
    model: row.model,
    summary: JSON.parse(row.summary) as Record<string, unknown>,
    createdAt: isoTime(row.created_at),
  };
}

export async function findRankerByTrainingHash(db: Knex, trainingHash: string): Promise<StoredRanker | undefined> {
  const row = (await db('ranker_models').where({ training_hash: trainingHash }).first()) as RankerRow | undefined;
  return row ? toRanker(row) : undefined;
}

export async function getRanker(db: Knex, version: string): Promise<StoredRanker | undefined> {
  const row = (await db('ranker_models').where({ version }).first()) as RankerRow | undefined;
  return row ? toRanker(row) : undefined;
}

export async function listRankers(db: Knex): Promise<StoredRanker[]> {
  return (
    (await db('ranker_models')
      .select('*')
      .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'version' }])) as RankerRow[]
  ).map(toRanker);
}

/**
 * Stores a fitted model unless one with the same version or training data is already there (a
 * concurrent request fitted it first); either way the stored copy is returned.
 */
export async function saveRanker(db: Knex, ranker: Omit<StoredRanker, 'createdAt'>): Promise<StoredRanker> {
  const now = nowIso();
  await db('ranker_models')
    .insert({
      version: ranker.version,
      training_hash: ranker.trainingHash,
      signals: JSON.stringify(ranker.signals),
      model: ranker.model,
      summary: JSON.stringify(ranker.summary),
      created_at: now,
      current_since: now,
    })
    .onConflict()
    .ignore();
  return (await findRankerByTrainingHash(db, ranker.trainingHash)) ?? (await getRanker(db, ranker.version))!;
}

/** The model that most recently became current: what read requests use, so that they never fit one. */
export async function latestRanker(db: Knex): Promise<StoredRanker | undefined> {
  const row = (await db('ranker_models')
    .select('*')
    .orderBy([
      { column: 'current_since', order: 'desc' },
      { column: 'version', order: 'desc' },
    ])
    .first()) as RankerRow | undefined;
  return row ? toRanker(row) : undefined;
}

/** Makes a stored model the one read requests use again: the evidence is back to what it was fitted on. */
export async function makeRankerCurrent(db: Knex, version: string): Promise<void> {
  await db('ranker_models').where({ version }).update({ current_since: nowIso() });
}

/** Replaces a stored model's summary, e.g. to add the evaluation computed after the fit. */
export async function updateRankerSummary(db: Knex, version: string, summary: Record<string, unknown>): Promise<void> {
  await db('ranker_models')
    .where({ version })
    .update({ summary: JSON.stringify(summary) });
}
