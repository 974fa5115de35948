/**
 * Transferability T(S->T) = (AUC(S->T) - AUC(T)) / AUC(T) * 100, fold by fold against the baseline
 * trained on the target alone with the same architecture and protocol.
 */
import { comparableKey } from './keys.js';
import type { TransferResult } from './types.js';

export type NoTransferabilityReason = 'is-baseline' | 'no-matching-baseline' | 'baseline-zero';

export type Transferability =
  | {
      readonly ok: true;
      /** Percent change per fold, fold i + 1 at index i. */
      readonly folds: readonly number[];
      readonly mean: number;
      /** Sample standard deviation over folds; null with a single fold. */
      readonly std: number | null;
      /** Ids of the baselines used (when the inputs carry ids). */
      readonly baselineIds: readonly string[];
    }
  | { readonly ok: false; readonly reason: NoTransferabilityReason; readonly message: string };

type WithOptionalId = TransferResult & { readonly id?: string };

function describe(result: TransferResult): string {
  const p = result.protocol;
  const extras = [
    p.imageSize !== undefined ? `image size ${p.imageSize}` : '',
    p.epochs !== undefined ? `${p.epochs} epochs` : '',
  ].filter(Boolean);
  return `target '${result.target}', architecture '${result.architecture}', ${p.folds} folds of ${p.metric}${extras.length ? ', ' + extras.join(', ') : ''}`;
}

export function isBaseline(result: Pick<TransferResult, 'source'>): boolean {
  return result.source === null;
}

/** Baselines among `candidates` that `result` can be compared with. */
export function matchingBaselines<R extends TransferResult>(result: TransferResult, candidates: readonly R[]): R[] {
  const key = comparableKey(result);
  return candidates.filter((c) => isBaseline(c) && comparableKey(c) === key);
}

/**
 * When several baselines match (independent contributions of the same setting), their fold-wise mean
 * is the reference, and all their ids are reported.
 */
export function transferability(result: TransferResult, candidates: readonly WithOptionalId[]): Transferability {
  if (isBaseline(result)) {
    return {
      ok: false,
      reason: 'is-baseline',
      message: 'a baseline has no transferability: it is the reference others are measured against',
    };
  }
  const baselines = matchingBaselines(result, candidates);
  if (baselines.length === 0) {
    return { ok: false, reason: 'no-matching-baseline', message: `no baseline (source none) with ${describe(result)}` };
  }
  const n = result.foldValues.length;
  const reference = Array.from(
    { length: n },
    (_, i) => baselines.reduce((a, b) => a + b.foldValues[i]!, 0) / baselines.length,
  );
  if (reference.some((v) => v === 0)) {
    return {
      ok: false,
      reason: 'baseline-zero',
      message: 'the matching baseline has a fold with metric 0, so a relative change is undefined',
    };
  }
  const folds = result.foldValues.map((v, i) => ((v - reference[i]!) / reference[i]!) * 100);
  const mean = folds.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(folds.reduce((a, f) => a + (f - mean) * (f - mean), 0) / (n - 1)) : null;
  const baselineIds = baselines.flatMap((b) => (b.id !== undefined ? [b.id] : []));
  return { ok: true, folds, mean, std, baselineIds };
}

export interface TransferabilityRow<R extends TransferResult> {
  readonly result: R;
  readonly transferability: Transferability;
}

/** Transferability of every non-baseline result in a set, each against the set's own baselines. */
export function transferabilityTable<R extends WithOptionalId>(results: readonly R[]): TransferabilityRow<R>[] {
  return results
    .filter((r) => !isBaseline(r))
    .map((result) => ({ result, transferability: transferability(result, results) }));
}

export interface PairTransferability {
  readonly source: string;
  readonly target: string;
  /** Mean over folds, averaged over results when a pair has several (e.g. two contributions). */
  readonly value: number;
  readonly results: number;
}

/**
 * One value per (source, target) pair, the input of correlation analysis and of the ranker.
 * Callers choose the architecture/protocol slice first; results without transferability are skipped.
 */
export function pairTransferabilities<R extends WithOptionalId>(results: readonly R[]): PairTransferability[] {
  const sums = new Map<string, { source: string; target: string; sum: number; count: number }>();
  for (const { result, transferability: t } of transferabilityTable(results)) {
    if (!t.ok || result.source === null) continue;
    const key = JSON.stringify([result.source, result.target]);
    const entry = sums.get(key) ?? { source: result.source, target: result.target, sum: 0, count: 0 };
    entry.sum += t.mean;
    entry.count++;
    sums.set(key, entry);
  }
  return [...sums.values()].map((e) => ({
    source: e.source,
    target: e.target,
    value: e.sum / e.count,
    results: e.count,
  }));
}
