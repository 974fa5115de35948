/**
 * Correlation coefficients with two-sided p-values: exact permutation for small samples
 * (where the t approximation is poor and enumerating n! orderings is cheap), Student's t otherwise.
 */
import { averageRanks, pearson } from './stats.js';
import { studentTTwoSided } from './special.js';

export type CorrelationKind = 'pearson' | 'spearman';
export type PValueMethod = 'exact-permutation' | 't-distribution';

export interface CorrelationTest {
  readonly kind: CorrelationKind;
  readonly n: number;
  /** null when undefined: fewer than three pairs or a constant side. */
  readonly coefficient: number | null;
  readonly pValue: number | null;
  readonly pValueMethod: PValueMethod;
}

/** Largest n for which every ordering is enumerated (8! = 40,320 orderings). */
export const EXACT_PERMUTATION_MAX_N = 8;

/** Relative tolerance so permutations that tie the observed statistic up to rounding count as "at least as extreme". */
const TIE_TOLERANCE = 1e-12;

function forEachPermutation(n: number, visit: (order: readonly number[]) => void): void {
  const order = Array.from({ length: n }, (_, i) => i);
  const counters = new Array<number>(n).fill(0);
  visit(order);
  let i = 1;
  // Heap's algorithm: each step swaps one pair, reaching all n! orderings exactly once.
  while (i < n) {
    if (counters[i]! < i) {
      const j = i % 2 === 0 ? 0 : counters[i]!;
      const tmp = order[j]!;
      order[j] = order[i]!;
      order[i] = tmp;
      visit(order);
      counters[i]!++;
      i = 1;
    } else {
      counters[i] = 0;
      i++;
    }
  }
}

/** Two-sided exact permutation p-value of Pearson's r: share of orderings of y with |r| >= |observed|. */
export function exactPermutationPValue(x: readonly number[], y: readonly number[]): number | null {
  const observed = pearson(x, y);
  if (observed === null) return null;
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  const dx = x.map((v) => v - mx);
  const dy = y.map((v) => v - my);
  const scale = Math.sqrt(dx.reduce((a, v) => a + v * v, 0) * dy.reduce((a, v) => a + v * v, 0));
  // Permuting y leaves both sums of squares unchanged, so only the cross product varies.
  const threshold = Math.abs(observed) * (1 - TIE_TOLERANCE);
  let extreme = 0;
  let total = 0;
  forEachPermutation(n, (order) => {
    let sxy = 0;
    for (let i = 0; i < n; i++) sxy += dx[i]! * dy[order[i]!]!;
    if (Math.abs(sxy / scale) >= threshold) extreme++;
    total++;
  });
  return extreme / total;
}

function tDistributionPValue(r: number, n: number): number {
  if (Math.abs(r) >= 1) return 0;
  const df = n - 2;
  return studentTTwoSided(r * Math.sqrt(df / (1 - r * r)), df);
}

export function correlationTest(kind: CorrelationKind, x: readonly number[], y: readonly number[]): CorrelationTest {
  const a = kind === 'spearman' ? averageRanks(x) : x;
  const b = kind === 'spearman' ? averageRanks(y) : y;
  const n = x.length;
  const pValueMethod: PValueMethod = n <= EXACT_PERMUTATION_MAX_N ? 'exact-permutation' : 't-distribution';
  const coefficient = n >= 3 ? pearson(a, b) : null;
  if (coefficient === null) return { kind, n, coefficient: null, pValue: null, pValueMethod };
  const pValue =
    pValueMethod === 'exact-permutation' ? exactPermutationPValue(a, b) : tDistributionPValue(coefficient, n);
  return { kind, n, coefficient, pValue, pValueMethod };
}
