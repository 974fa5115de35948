/**
 * Percentile bootstrap interval for a correlation, resampling pairs with a seeded generator
 * so the same data and seed always give the same interval.
 */
import { pearson, spearman } from './stats.js';
import { randomInt, seededRandom } from '../random.js';
import type { CorrelationKind } from './correlation-test.js';
import { withDefaults } from '../defaults.js';

export interface BootstrapOptions {
  readonly resamples?: number;
  readonly seed?: number;
  /** Central coverage, 0.95 for a 95% interval. */
  readonly level?: number;
}

export interface BootstrapInterval {
  readonly lower: number | null;
  readonly upper: number | null;
  readonly level: number;
  readonly resamples: number;
  /** Resamples whose coefficient was undefined (a constant side), left out of the percentiles. */
  readonly undefinedResamples: number;
  readonly seed: number;
}

export const DEFAULT_BOOTSTRAP: Required<BootstrapOptions> = { resamples: 2000, seed: 20210101, level: 0.95 };

/** Linear interpolation between order statistics (the usual "type 7" quantile). */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of no values');
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function bootstrapCorrelation(
  kind: CorrelationKind,
  x: readonly number[],
  y: readonly number[],
  options: BootstrapOptions = {},
): BootstrapInterval {
  const { resamples, seed, level } = withDefaults(DEFAULT_BOOTSTRAP, options);
  if (x.length !== y.length) throw new RangeError(`paired samples differ in length: ${x.length} vs ${y.length}`);
  if (!Number.isInteger(resamples) || resamples < 1)
    throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`level must lie in (0, 1), got ${level}`);
  const coefficient = kind === 'spearman' ? spearman : pearson;
  const random = seededRandom(seed);
  const n = x.length;
  const values: number[] = [];
  let undefinedResamples = 0;
  const bx = new Array<number>(n);
  const by = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) {
      const j = randomInt(random, n);
      bx[i] = x[j]!;
      by[i] = y[j]!;
    }
    const r = n >= 2 ? coefficient(bx, by) : null;
    if (r === null) undefinedResamples++;
    else values.push(r);
  }
  values.sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  const lower = values.length > 0 ? quantile(values, tail) : null;
  const upper = values.length > 0 ? quantile(values, 1 - tail) : null;
  return { lower, upper, level, resamples, undefinedResamples, seed };
}
