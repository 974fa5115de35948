/**
 * Wilcoxon signed-rank test of paired samples, two-sided, matching scipy.stats.wilcoxon(x, y) with its
 * defaults (zero_method 'wilcox': zero differences dropped; no continuity correction; method 'auto').
 * 'auto' means: the exact null distribution when there are no ties and no zeros (up to 50 pairs),
 * otherwise the exact sign-flip distribution of the tied ranks for up to 13 pairs, and beyond that the
 * normal approximation with the tie-corrected variance.
 */
import { averageRanks } from './stats.js';
import { normalCdf } from './special.js';

export interface WilcoxonTest {
  /** Pairs with a non-zero difference, the ones ranked. */
  readonly n: number;
  /** min(R+, R-), as scipy reports it. */
  readonly statistic: number;
  readonly pValue: number | null;
  readonly method: 'exact' | 'normal';
}

/** Exact distribution of R+ when each rank enters with a random sign; ranks are halves or whole numbers, so work in doubled units. */
function signFlipCounts(doubledRanks: readonly number[]): number[] {
  const max = doubledRanks.reduce((a, r) => a + r, 0);
  let counts = new Array<number>(max + 1).fill(0);
  counts[0] = 1;
  for (const r of doubledRanks) {
    const next = [...counts];
    for (let s = max - r; s >= 0; s--) if (counts[s]! > 0) next[s + r]! += counts[s]!;
    counts = next;
  }
  return counts;
}

export function wilcoxonSignedRank(x: readonly number[], y: readonly number[]): WilcoxonTest {
  if (x.length !== y.length) throw new RangeError(`paired samples differ in length: ${x.length} vs ${y.length}`);
  const differences = x.map((v, i) => v - y[i]!);
  for (const d of differences)
    if (!Number.isFinite(d)) throw new RangeError(`non-finite difference ${d} in a Wilcoxon test`);
  const zeros = differences.filter((d) => d === 0).length;
  const nonZero = differences.filter((d) => d !== 0);
  const n = nonZero.length;
  const ranks = averageRanks(nonZero.map(Math.abs));
  const plus = ranks.reduce((a, r, i) => a + (nonZero[i]! > 0 ? r : 0), 0);
  const minus = ranks.reduce((a, r, i) => a + (nonZero[i]! < 0 ? r : 0), 0);
  const statistic = Math.min(plus, minus);
  if (n === 0) return { n, statistic, pValue: null, method: 'exact' };

  const tied = new Set(ranks).size < ranks.length;
  const exact = differences.length <= 13 || (!tied && zeros === 0 && differences.length <= 50);
  if (exact) {
    const counts = signFlipCounts(ranks.map((r) => Math.round(2 * r)));
    const total = 2 ** n;
    const observed = Math.round(2 * plus);
    let below = 0;
    let above = 0;
    counts.forEach((c, s) => {
      if (s <= observed) below += c;
      if (s >= observed) above += c;
    });
    return { n, statistic, pValue: Math.min(1, (2 * Math.min(below, above)) / total), method: 'exact' };
  }
  const mean = (n * (n + 1)) / 4;
  const tieGroups = new Map<number, number>();
  for (const r of ranks) tieGroups.set(r, (tieGroups.get(r) ?? 0) + 1);
  const tieCorrection = [...tieGroups.values()].reduce((a, t) => a + t ** 3 - t, 0);
  const sd = Math.sqrt((n * (n + 1) * (2 * n + 1) - tieCorrection / 2) / 24);
  const z = (plus - mean) / sd;
  return { n, statistic, pValue: 2 * normalCdf(-Math.abs(z)), method: 'normal' };
}
