import { allPages, type Schemas } from './api.js';

export type TransferResult = Schemas['TransferResult'];

/** The mean of one number per (source, target) pair over the results that have it. */
export interface PairMean {
  readonly source: string;
  readonly target: string;
  readonly mean: number;
  readonly results: number;
}

export function pairMeans(
  results: readonly TransferResult[],
  value: (r: TransferResult) => number | null,
  subject: (r: TransferResult) => string | null = (r) => r.source,
): PairMean[] {
  const sums = new Map<string, { source: string; target: string; total: number; n: number }>();
  for (const r of results) {
    const [v, source] = [value(r), subject(r)];
    if (source === null || v === null) continue;
    const key = `${source}\u0000${r.target}`;
    const entry = sums.get(key) ?? { source, target: r.target, total: 0, n: 0 };
    entry.total += v;
    entry.n += 1;
    sums.set(key, entry);
  }
  return [...sums.values()].map((e) => ({ source: e.source, target: e.target, mean: e.total / e.n, results: e.n }));
}

/** A source's record on measured targets other than the one at hand: where it was measured and where it was best. */
export interface TrackRecord {
  readonly measured: { target: string; mean: number }[];
  readonly wins: string[];
}

export function trackRecords(pairs: readonly PairMean[], exceptTarget: string): Map<string, TrackRecord> {
  const records = new Map<string, TrackRecord>();
  const byTarget = new Map<string, PairMean[]>();
  for (const p of pairs) {
    if (p.target === exceptTarget) continue;
    byTarget.set(p.target, [...(byTarget.get(p.target) ?? []), p]);
  }
  for (const [target, measured] of byTarget) {
    const best = Math.max(...measured.map((p) => p.mean));
    for (const p of measured) {
      const record = records.get(p.source) ?? { measured: [], wins: [] };
      record.measured.push({ target, mean: p.mean });
      if (p.mean === best) record.wins.push(target);
      records.set(p.source, record);
    }
  }
  return records;
}

export const transferabilityOf = (r: TransferResult): number | null => r.transferability?.mean ?? null;

export function activeResults(): Promise<TransferResult[]> {
  return allPages<TransferResult>('/v1/results');
}
