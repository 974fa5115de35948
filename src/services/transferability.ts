/**
 * Transferability of stored results, each against the active baselines with its target,
 * architecture and protocol. A result without one keeps its place and says why it has no value.
 */
import type { Knex } from 'knex';
import type { Db } from './session.js';
import { notFound } from '../errors.js';
import { allRuns, getDataset, type RunFilter } from '../store/index.js';
import {
  pairTransferabilities,
  transferability,
  type PairTransferability,
  type StoredResult,
  type Transferability,
} from '../transfer/index.js';

/** A stored result with its transferability, or why it has none. */
export type WithTransferability<R extends StoredResult = StoredResult> = R & {
  readonly transferability: Transferability;
};

async function baselinesFor(db: Knex, targets: Iterable<string>): Promise<Map<string, StoredResult[]>> {
  const out = new Map<string, StoredResult[]>();
  for (const target of new Set(targets)) out.set(target, await allRuns(db, { target, baseline: true }));
  return out;
}

/** Adds each result's transferability; withdrawn baselines never count. */
export async function withTransferability<R extends StoredResult>(
  { knex: db }: Db,
  runs: readonly R[],
): Promise<WithTransferability<R>[]> {
  const baselines = await baselinesFor(
    db,
    runs.map((r) => r.target),
  );
  return runs.map((run) => ({ ...run, transferability: transferability(run, baselines.get(run.target) ?? []) }));
}

/** Every active non-baseline result with its transferability, ordered by target then source. */
export async function transferabilityTable(
  db: Db,
  filter: Pick<RunFilter, 'target' | 'architecture'> = {},
): Promise<WithTransferability[]> {
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
  return pairTransferabilities(runs).sort(
    (a, b) => a.target.localeCompare(b.target) || a.source.localeCompare(b.source),
  );
}
