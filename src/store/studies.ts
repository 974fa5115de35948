import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { canonicalJson } from './canonical.js';
import { countOf, isoTime, nowIso, parseJsonColumn } from './rows.js';
import type { UpsertOutcome } from './datasets.js';
import { definedOnly } from '../defaults.js';

export interface StudyCandidateSet {
  readonly id: string;
  readonly description: string;
  readonly backbones: readonly string[];
}

export interface StudySignalDefinition {
  readonly kind: 'backbone' | 'source';
  readonly direction: 'higher_is_better' | 'lower_is_closer';
  readonly description: string;
}

export interface NewStudy {
  readonly id: string;
  readonly title: string;
  readonly authors: string;
  readonly year: number;
  readonly citation: string;
  readonly doi?: string;
  readonly url?: string;
  readonly licence: string;
  readonly metric: string;
  readonly protocol: Record<string, unknown>;
  readonly candidate_sets: readonly StudyCandidateSet[];
  readonly signal_definitions: Readonly<Record<string, StudySignalDefinition>>;
}

export interface StoredStudy extends NewStudy {
  readonly created_at: string;
  readonly updated_at: string;
}

export interface StudyCounts {
  readonly backbones: number;
  readonly targets: number;
  readonly results: number;
  readonly baselines: number;
  readonly signals: number;
  readonly spreads: number;
}

interface StudyRow {
  id: string;
  title: string;
  authors: string;
  year: number;
  citation: string;
  doi: string | null;
  url: string | null;
  licence: string;
  metric: string;
  protocol: string;
  candidate_sets: string;
  signal_definitions: string;
  created_at: unknown;
  updated_at: unknown;
}

function fromRow(r: StudyRow): StoredStudy {
  return {
    id: r.id,
    title: r.title,
    authors: r.authors,
    year: Number(r.year),
    citation: r.citation,
    ...definedOnly({ doi: r.doi ?? undefined, url: r.url ?? undefined }),
    licence: r.licence,
    metric: r.metric,
    protocol: parseJsonColumn<Record<string, unknown>>(r.protocol)!,
    candidate_sets: parseJsonColumn<StudyCandidateSet[]>(r.candidate_sets)!,
    signal_definitions: parseJsonColumn<Record<string, StudySignalDefinition>>(r.signal_definitions)!,
    created_at: isoTime(r.created_at),
    updated_at: isoTime(r.updated_at),
  };
}

export async function upsertStudy(db: Knex, s: NewStudy): Promise<UpsertOutcome> {
  const hash = createHash('sha256').update(canonicalJson(s)).digest('hex');
  const existing = (await db('studies').where({ id: s.id }).first('content_hash')) as
    { content_hash: string } | undefined;
  if (existing?.content_hash === hash) return 'unchanged';
  const row = {
    title: s.title,
    authors: s.authors,
    year: s.year,
    citation: s.citation,
    doi: s.doi ?? null,
    url: s.url ?? null,
    licence: s.licence,
    metric: s.metric,
    protocol: canonicalJson(s.protocol),
    candidate_sets: canonicalJson(s.candidate_sets),
    signal_definitions: canonicalJson(s.signal_definitions),
    content_hash: hash,
    updated_at: nowIso(),
  };
  if (existing) {
    await db('studies').where({ id: s.id }).update(row);
    return 'updated';
  }
  await db('studies').insert({ id: s.id, ...row, created_at: nowIso() });
  return 'created';
}

export async function listStudies(db: Knex): Promise<StoredStudy[]> {
  return ((await db('studies').select('*').orderBy('id')) as StudyRow[]).map(fromRow);
}

export async function getStudy(db: Knex, id: string): Promise<StoredStudy | undefined> {
  const row = (await db('studies').where({ id }).first()) as StudyRow | undefined;
  return row ? fromRow(row) : undefined;
}

/** Signals that stored studies declared beyond the catalogue, by name. */
export async function declaredSignals(db: Knex): Promise<Record<string, StudySignalDefinition>> {
  const out: Record<string, StudySignalDefinition> = {};
  for (const s of await listStudies(db)) Object.assign(out, s.signal_definitions);
  return out;
}

export async function studyCounts(db: Knex, id: string): Promise<StudyCounts> {
  const runs = db('transfer_runs').where({ study_id: id }).whereNull('withdrawn_at');
  const count = async (q: Knex.QueryBuilder) => countOf(await q.first());
  return {
    backbones: await count(runs.clone().whereNotNull('backbone_id').countDistinct({ count: 'backbone_id' })),
    targets: await count(runs.clone().countDistinct({ count: 'target_id' })),
    results: await count(runs.clone().whereNotNull('backbone_id').count({ count: '*' })),
    baselines: await count(runs.clone().whereNull('backbone_id').count({ count: '*' })),
    signals: await count(
      db('pair_signals')
        .where({ provenance: `study:${id}` })
        .count({ count: '*' }),
    ),
    spreads: await count(db('result_spreads').where({ study_id: id }).count({ count: '*' })),
  };
}

export interface ResultSpread {
  readonly study: string;
  readonly backbone: string;
  readonly target: string;
  readonly runs: number;
  readonly min: number;
  readonly q25: number;
  readonly median: number;
  readonly q75: number;
  readonly max: number;
  readonly sd: number;
}

const SPREAD_STATS = ['runs', 'min', 'q25', 'median', 'q75', 'max', 'sd'] as const;

/** Replaces a study's spreads when they differ from those stored; says whether it wrote. */
export async function replaceSpreads(db: Knex, study: string, spreads: readonly ResultSpread[]): Promise<boolean> {
  const stored = await listSpreads(db, { study });
  const key = (s: ResultSpread) => `${s.backbone}/${s.target}`;
  const sorted = (xs: readonly ResultSpread[]) => [...xs].sort((a, b) => key(a).localeCompare(key(b)));
  if (canonicalJson(sorted(stored)) === canonicalJson(sorted(spreads))) return false;
  await db('result_spreads').where({ study_id: study }).delete();
  const rows = spreads.map((s) => ({
    study_id: study,
    backbone_id: s.backbone,
    target_id: s.target,
    ...Object.fromEntries(SPREAD_STATS.map((k) => [k, s[k]])),
  }));
  for (let i = 0; i < rows.length; i += 50) await db('result_spreads').insert(rows.slice(i, i + 50));
  return true;
}

export async function listSpreads(db: Knex, filter: { study?: string; target?: string } = {}): Promise<ResultSpread[]> {
  const q = db('result_spreads');
  if (filter.study) q.where('study_id', filter.study);
  if (filter.target) q.where('target_id', filter.target);
  const rows = (await q.select('*').orderBy(['study_id', 'target_id', 'backbone_id'])) as Record<string, unknown>[];
  return rows.map((r) => ({
    study: String(r.study_id),
    backbone: String(r.backbone_id),
    target: String(r.target_id),
    ...(Object.fromEntries(SPREAD_STATS.map((k) => [k, Number(r[k])])) as Record<
      (typeof SPREAD_STATS)[number],
      number
    >),
  }));
}
