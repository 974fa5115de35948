/**
 * Transferability of stored results, each against the active baselines with its target,
 * architecture and protocol. A result without one keeps its place and says why it has no value.
 */
import type { Knex } from 'knex';
import type { Db } from './session.js';
import { notFound } from '../errors.js';
import { allRuns, getDataset, type RunFilter, type TransferRun } from '../store/index.js';
import {
  pairTransferabilities,
  transferability,
  type NoTransferabilityReason,
  type PairTransferability,
} from '../transfer/index.js';
import { toDomainResult } from './runs.js';

export interface TransferabilityValue {
  readonly mean: number;
  readonly std: number | null;
  readonly folds: readonly number[];
  readonly baseline_ids: readonly string[];
}

export interface TransferabilityUnavailable {
  readonly reason: NoTransferabilityReason;
  readonly message: string;
}

export type WithTransferability<R> = R &
  (
    | { readonly transferability: TransferabilityValue }
    | { readonly transferability_unavailable: TransferabilityUnavailable }
  );

async function baselinesFor(db: Knex, targets: Iterable<string>): Promise<Map<string, TransferRun[]>> {
  const out = new Map<string, TransferRun[]>();
  for (const target of new Set(targets)) out.set(target, await allRuns(db, { target, baseline: true }));
  return out;
}

/** Adds `transferability` or `transferability_unavailable` to each run; withdrawn baselines never count. */
export async function withTransferability<R extends TransferRun>(
  { knex: db }: Db,
  runs: readonly R[],
): Promise<WithTransferability<R>[]> {
  const baselines = await baselinesFor(
    db,
    runs.map((r) => r.target),
  );
  return runs.map((run) => {
    const candidates = (baselines.get(run.target) ?? []).map(toDomainResult);
    const t = transferability(toDomainResult(run), candidates);
    if (!t.ok) return { ...run, transferability_unavailable: { reason: t.reason, message: t.message } };
    return { ...run, transferability: { mean: t.mean, std: t.std, folds: t.folds, baseline_ids: t.baselineIds } };
  });
}

/** Every active non-baseline result with its transferability, ordered by target then source. */
export async function transferabilityTable(
  db: Db,
  filter: Pick<RunFilter, 'target' | 'architecture'> = {},
): Promise<WithTransferability<TransferRun>[]> {
  if (filter.target !== undefined && !(await getDataset(db.knex, filter.target)))
    throw notFound('dataset', filter.target, 'target');
  const runs = (await allRuns(db.knex, { ...filter, baseline: false })).sort(
    (a, b) =>
      a.target.localeCompare(b.target) || (a.source ?? '').localeCompare(b.source ?? '') || a.id.localeCompare(b.id),
  );
  return withTransferability(db, runs);
}

/** One mean transferability per (source, target): the observations of the analysis and the ranker. */
export async function observedPairs({ knex: db }: Db, architecture?: string): Promise<PairTransferability[]> {
  const runs = await allRuns(db, architecture ? { architecture } : {});
  return pairTransferabilities(runs.map(toDomainResult)).sort(
    (a, b) => a.target.localeCompare(b.target) || a.source.localeCompare(b.source),
  );
}
