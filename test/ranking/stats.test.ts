/**
 * Reference values computed independently with Debian's python3-scipy 1.17.1 (numpy 2.4.6):
 *
 *   import itertools, numpy as np
 *   from scipy import stats, special
 *   x6=[1.2,3.4,2.2,5.0,4.1,3.4]; y6=[0.9,2.5,2.5,4.8,3.0,2.0]
 *   x12=[3.1,0.4,2.2,5.9,4.4,1.1,2.2,7.3,6.0,0.8,3.3,4.9]; y12=[2.0,1.5,2.9,4.1,3.0,0.2,3.5,6.6,4.0,1.9,1.0,5.2]
 *   def exact(x,y,f):   # share of all orderings of y with |coefficient| >= |observed|
 *       r=f(x,y).statistic; c=0; t=0
 *       for p in itertools.permutations(y):
 *           t+=1; c+= abs(f(x,list(p)).statistic)>=abs(r)*(1-1e-12)
 *       return r,c/t
 *   stats.rankdata(x6); exact(x6,y6,stats.pearsonr); exact(x6,y6,stats.spearmanr)
 *   stats.pearsonr(x12,y12); stats.spearmanr(x12,y12)
 *   special.betainc(a,b,x); 2*stats.t.sf(abs(t),df); special.gammaln(v); np.std(x6,ddof=1)
 *   stats.bootstrap((x12,y12), lambda a,b: stats.pearsonr(a,b).statistic, paired=True, vectorized=False,
 *                   method='percentile', n_resamples=9999, random_state=np.random.default_rng(1))
 *   (and the same with spearmanr)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averageRanks, mean, pearson, sampleStd, spearman } from '../../src/ranking/stats.js';
import { logGamma, regularizedIncompleteBeta, studentTTwoSided } from '../../src/ranking/special.js';
import { correlationTest } from '../../src/ranking/correlation-test.js';
import { bootstrapCorrelation } from '../../src/ranking/bootstrap.js';

const x6 = [1.2, 3.4, 2.2, 5.0, 4.1, 3.4];
const y6 = [0.9, 2.5, 2.5, 4.8, 3.0, 2.0];
const x12 = [3.1, 0.4, 2.2, 5.9, 4.4, 1.1, 2.2, 7.3, 6.0, 0.8, 3.3, 4.9];
const y12 = [2.0, 1.5, 2.9, 4.1, 3.0, 0.2, 3.5, 6.6, 4.0, 1.9, 1.0, 5.2];

function close(actual: number | null, expected: number, tolerance: number, what: string): void {
  assert.ok(actual !== null, `${what} is null`);
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: got ${actual}, expected ${expected} (±${tolerance})`);
}

test('ties share the average rank (scipy rankdata)', () => {
  assert.deepEqual(averageRanks(x6), [1.0, 3.5, 2.0, 6.0, 5.0, 3.5]);
});

test('sample standard deviation uses n - 1', () => {
  close(sampleStd(x6), 1.3511723304844079, 1e-12, 'std');
  assert.equal(sampleStd([4]), null);
  close(mean([1, 2, 6]), 3, 0, 'mean');
});

test('log-gamma matches scipy gammaln', () => {
  for (const [v, expected] of [
    [0.3, 1.0957979948180756],
    [1, 0],
    [4.5, 2.4537365708424423],
    [100.25, 360.28455963776423],
  ] as const) {
    close(logGamma(v), expected, 1e-11 * Math.max(1, Math.abs(expected)), `lgamma(${v})`);
  }
});

test('regularised incomplete beta matches scipy betainc', () => {
  const cases: [number, number, number, number][] = [
    [2, 3, 0.4, 0.5247999999999999],
    [0.5, 0.5, 0.9, 0.7951672353008665],
    [5, 0.5, 0.97, 0.5903491881013443],
    [0.7, 12, 0.05, 0.6146636584999626],
  ];
  for (const [a, b, x, expected] of cases)
    close(regularizedIncompleteBeta(x, a, b), expected, 1e-12, `I(${x}; ${a}, ${b})`);
  const tiny = regularizedIncompleteBeta(0.2, 30, 0.5);
  close(tiny / 1.2265219714158866e-22, 1, 1e-9, 'relative I(0.2; 30, 0.5)');
});

test('two-sided Student t tail matches scipy', () => {
  const cases: [number, number, number][] = [
    [0.5, 3, 0.651447964848151],
    [2.1, 10, 0.06207724420221853],
    [-3.7, 19, 0.0015197439980985039],
    [8.0, 2, 0.01526807216533814],
  ];
  for (const [t, df, expected] of cases) close(studentTTwoSided(t, df), expected, 1e-12, `t=${t}, df=${df}`);
});

test('small samples get exact permutation p-values (scipy over all 720 orderings)', () => {
  const p = correlationTest('pearson', x6, y6);
  assert.equal(p.pValueMethod, 'exact-permutation');
  close(p.coefficient, 0.8838167505364595, 1e-12, 'pearson r');
  close(p.pValue, 0.027777777777777776, 1e-12, 'pearson p');
  const s = correlationTest('spearman', x6, y6);
  close(s.coefficient, 0.8676470588235294, 1e-12, 'spearman rho');
  close(s.pValue, 0.044444444444444446, 1e-12, 'spearman p');
});

test('larger samples use the t distribution (scipy pearsonr / spearmanr)', () => {
  const p = correlationTest('pearson', x12, y12);
  assert.equal(p.pValueMethod, 't-distribution');
  close(p.coefficient, 0.8109533534952145, 1e-12, 'pearson r');
  close(p.pValue, 0.0013712576105262334, 1e-10, 'pearson p');
  const s = correlationTest('spearman', x12, y12);
  close(s.coefficient, 0.7845896445389478, 1e-12, 'spearman rho');
  close(s.pValue, 0.0025116023149757017, 1e-10, 'spearman p');
  close(spearman(x12, y12), 0.7845896445389478, 1e-12, 'plain spearman');
});

test('undefined correlations are null, not NaN', () => {
  assert.equal(pearson([1, 2, 3], [5, 5, 5]), null);
  const t = correlationTest('spearman', [1, 2], [2, 1]);
  assert.equal(t.coefficient, null);
  assert.equal(t.pValue, null);
});

test('bootstrap interval is deterministic per seed and agrees with scipy percentile bootstrap', () => {
  const a = bootstrapCorrelation('pearson', x12, y12, { resamples: 9999, seed: 7 });
  const b = bootstrapCorrelation('pearson', x12, y12, { resamples: 9999, seed: 7 });
  assert.deepEqual(a, b);
  // Different generators, so only Monte Carlo agreement is expected: scipy gives [0.5303, 0.9296].
  close(a.lower, 0.5303049911216168, 0.03, 'pearson lower');
  close(a.upper, 0.9296007094745034, 0.02, 'pearson upper');
  const s = bootstrapCorrelation('spearman', x12, y12, { resamples: 9999, seed: 7 });
  // scipy gives [0.3308, 0.9514].
  close(s.lower, 0.3308496093989869, 0.04, 'spearman lower');
  close(s.upper, 0.9513739793348825, 0.02, 'spearman upper');
  const other = bootstrapCorrelation('pearson', x12, y12, { resamples: 9999, seed: 8 });
  assert.notDeepEqual(other, a);
});
