import type { Knex } from 'knex';
import { ensureDerivedBackbone } from './backbones.js';
import { definedOnly } from '../defaults.js';
import { provenanceOf, referenceOf, type Metric, type StoredResult, type TransferResult } from '../transfer/index.js';
import { countOf, isoTime, nowIso, type PageOf, type PageRequest } from './rows.js';

/** A result to store: its id and keys beside it, the backbone derived as `<source>-<architecture>` unless given. */
export interface NewRun extends TransferResult {
  readonly id: string;
  readonly backbone?: string;
  readonly study?: string;
  readonly duplicateKey: string;
  readonly idempotencyKey?: string;
}

export interface RunFilter {
  readonly source?: string;
  readonly target?: string;
  readonly architecture?: string;
  readonly backbone?: string;
  readonly study?: string;
  readonly baseline?: boolean;
  readonly includeWithdrawn?: boolean;
}

interface RunRow {
  id: string;
  source_id: string | null;
  target_id: string;
  architecture: string;
  backbone_id: string | null;
  study_id: string | null;
  folds: number;
  metric: string;
  image_size: number | null;
  epochs: number | null;
  protocol_notes: string | null;
  contributor_id: string;
  reference: string | null;
  created_at: unknown;
  withdrawn_at: unknown;
}

function filtered(db: Knex, filter: RunFilter): Knex.QueryBuilder {
  const q = db('transfer_runs');
  if (filter.source) q.where('source_id', filter.source);
  if (filter.target) q.where('target_id', filter.target);
  if (filter.architecture) q.where('architecture', filter.architecture);
  if (filter.backbone) q.where('backbone_id', filter.backbone);
  if (filter.study) q.where('study_id', filter.study);
  if (filter.baseline === true) q.whereNull('source_id');
  if (filter.baseline === false) q.whereNotNull('source_id');
  if (!filter.includeWithdrawn) q.whereNull('withdrawn_at');
  return q;
}

async function withFolds(db: Knex, rows: RunRow[]): Promise<StoredResult[]> {
  if (rows.length === 0) return [];
  const folds = (await db('transfer_results')
    .whereIn(
      'run_id',
      rows.map((r) => r.id),
    )
    .orderBy(['run_id', 'fold'])) as { run_id: string; fold: number; value: number }[];
  const byRun = new Map<string, { fold: number; value: number }[]>();
  for (const f of folds) {
    const list = byRun.get(f.run_id) ?? [];
    list.push({ fold: Number(f.fold), value: Number(f.value) });
    byRun.set(f.run_id, list);
  }
  return rows.map((r): StoredResult => ({
    id: r.id,
    source: r.source_id,
    target: r.target_id,
    architecture: r.architecture,
    backbone: r.backbone_id,
    ...definedOnly({ study: r.study_id ?? undefined }),
    protocol: definedOnly({
      folds: Number(r.folds),
      // Results were validated on the way in; the column keeps the metric as text.
      metric: r.metric as Metric,
      imageSize: r.image_size === null ? undefined : Number(r.image_size),
      epochs: r.epochs === null ? undefined : Number(r.epochs),
      notes: r.protocol_notes ?? undefined,
    }),
    foldValues: (byRun.get(r.id) ?? []).map((f) => f.value),
    provenance: provenanceOf(r.contributor_id, r.reference ?? undefined),
    createdAt: isoTime(r.created_at),
    ...definedOnly({ withdrawnAt: r.withdrawn_at == null ? undefined : isoTime(r.withdrawn_at) }),
  }));
}

export async function listRuns(db: Knex, filter: RunFilter, page: PageRequest): Promise<PageOf<StoredResult>> {
  const total = countOf(await filtered(db, filter).count({ count: '*' }).first());
  const rows = (await filtered(db, filter)
    .select('*')
    .orderBy([{ column: 'target_id' }, { column: 'source_id' }, { column: 'id' }])
    .limit(page.pageSize)
    .offset((page.page - 1) * page.pageSize)) as RunRow[];
  return { items: await withFolds(db, rows), page: page.page, page_size: page.pageSize, total };
}

/** Every active run, unpaginated: the analysis and the ranker read the whole table. */
export async function allRuns(db: Knex, filter: RunFilter = {}): Promise<StoredResult[]> {
  return withFolds(db, (await filtered(db, filter).select('*').orderBy('id')) as RunRow[]);
}

export async function getRun(db: Knex, id: string): Promise<StoredResult | undefined> {
  const row = (await db('transfer_runs').where({ id }).first()) as RunRow | undefined;
  return row ? (await withFolds(db, [row]))[0] : undefined;
}

export async function runIdForIdempotencyKey(db: Knex, key: string): Promise<string | undefined> {
  const row = (await db('transfer_runs').where({ idempotency_key: key }).first('id')) as { id: string } | undefined;
  return row?.id;
}

export async function insertRun(db: Knex, run: NewRun): Promise<void> {
  const backbone =
    run.source === null ? null : (run.backbone ?? (await ensureDerivedBackbone(db, run.source, run.architecture)));
  await db('transfer_runs').insert({
    id: run.id,
    source_id: run.source,
    target_id: run.target,
    architecture: run.architecture,
    backbone_id: backbone,
    study_id: run.study ?? null,
    folds: run.protocol.folds,
    metric: run.protocol.metric,
    image_size: run.protocol.imageSize ?? null,
    epochs: run.protocol.epochs ?? null,
    protocol_notes: run.protocol.notes ?? null,
    contributor_id: run.provenance.contributor,
    reference: referenceOf(run.provenance) ?? null,
    duplicate_key: run.duplicateKey,
    idempotency_key: run.idempotencyKey ?? null,
    created_at: nowIso(),
  });
  await db('transfer_results').insert(run.foldValues.map((value, i) => ({ run_id: run.id, fold: i + 1, value })));
}

export async function withdrawRun(db: Knex, id: string, by: string): Promise<void> {
  await db('transfer_runs').where({ id }).update({ withdrawn_at: nowIso(), withdrawn_by: by });
}

export async function restoreRun(db: Knex, id: string): Promise<void> {
  await db('transfer_runs').where({ id }).update({ withdrawn_at: null, withdrawn_by: null });
}
