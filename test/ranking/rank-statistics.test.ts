import { test } from 'node:test';
import assert from 'node:assert/strict';
import { weightedTau } from '../../src/ranking/weighted-tau.js';
import { wilcoxonSignedRank } from '../../src/ranking/wilcoxon.js';

/*
 * Expected values from SciPy (Debian bookworm's python3-scipy 1.10.1 and SciPy 1.17.1 agree on every
 * weighted tau below and on the Wilcoxon cases without ties or zeros):
 *
 *   from scipy.stats import weightedtau, wilcoxon
 *   import numpy as np
 *   cases = [...]                                   # the first six pairs of WEIGHTED_TAU below
 *   rng = np.random.default_rng(7)
 *   for n in (9, 14):
 *       x = rng.integers(0, 5, n).astype(float); y = rng.normal(size=n).round(2)
 *       cases.append((x.tolist(), y.tolist()))      # the last two pairs
 *   for x, y in cases: print(repr(float(weightedtau(x, y).statistic)))
 *   for x, y in wcases: r = wilcoxon(x, y); print(repr(float(r.statistic)), repr(float(r.pvalue)))
 */
const WEIGHTED_TAU: [number[], number[], number][] = [
  [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], 1],
  [[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], -1],
  [[0.3, 0.1, 0.9, 0.5, 0.7, 0.2], [0.8, 0.1, 0.7, 0.9, 0.4, 0.3], 0.31972789115646266],
  [[1, 1, 2, 2, 3, 3, 4], [2, 1, 4, 4, 3, 5, 5], 0.7537559381994399],
  [[5, 5, 5, 1, 2], [3, 1, 2, 2, 2], 0.23260021783273288],
  [[0.2, 0.4, 0.4, 0.1], [1, 1, 1, 2], -0.8028557738163298],
  [[4, 3, 3, 4, 2, 3, 4, 1, 0], [-0.99, 0.06, 1.34, -0.49, -0.62, 0.49, 0.36, 0.11, -0.93], 0.030414120600139607],
  [
    [1, 2, 2, 2, 2, 2, 4, 4, 3, 3, 3, 1, 4, 2],
    [-0.24, -1.27, 0.27, 0.16, -0.19, -2.52, -0.54, -0.05, 0.11, -1.53, -0.48, -0.98, -0.81, 1.06],
    -0.1210006059188724,
  ],
];

test('weighted tau equals scipy.stats.weightedtau with default arguments, ties included', () => {
  for (const [x, y, expected] of WEIGHTED_TAU) {
    const tau = weightedTau(x, y);
    assert.ok(tau !== null && Math.abs(tau - expected) < 1e-12, `weightedTau(${x}, ${y}) = ${tau}, scipy ${expected}`);
  }
});

test('weighted tau is undefined for a constant side and weighs the top of the ranking most', () => {
  assert.equal(weightedTau([1, 1, 1], [1, 2, 3]), null);
  assert.equal(weightedTau([1, 2, 3], [2, 2, 2]), null);
  const truth = [6, 5, 4, 3, 2, 1];
  const swapTop = weightedTau([5, 6, 4, 3, 2, 1], truth)!;
  const swapBottom = weightedTau([6, 5, 4, 3, 1, 2], truth)!;
  assert.ok(swapTop < swapBottom);
});

/*
 * Wilcoxon: the first two cases have no ties and no zeros, where SciPy 1.10.1 and 1.17.1 agree:
 *   print(wilcoxon([0.31,-0.12,0.05,0.44,-0.27,0.18,0.09,0.36,-0.02,0.5,0.22]))            # 12.0 0.0673828125
 *   print(wilcoxon([0.31,-0.12,0.05,0.44,-0.27,0.18,0.09,0.36,-0.02,0.5,0.22,0.13,-0.4,0.61,0.07,0.29]))  # 28.0 0.03863525390625
 * With ties or zeros we follow SciPy 1.17.1 (pip), which flips the signs of the tied ranks exactly
 * for up to 13 pairs; Debian's 1.10.1 instead falls back to the normal approximation there:
 *   wilcoxon([1,2,3,4,5,6], [1,1,2,2,9,3])                      # 5.0 0.5625  (a zero and ties)
 *   wilcoxon([3,1,4,1,5,9,2,6], [2,7,1,8,2,8,1,8])              # 17.0 0.9296875 (ties)
 *   x = list(range(20)); d = [1,-2,3,1,0,2,-1,4,2,2,5,-3,1,6,0,2,3,1,7,2]
 *   wilcoxon(x, [v + e for v, e in zip(x, d)])                    # 24.5 0.007465159701497623 (both versions: normal)
 */
const WILCOXON: [number[], number[], number, number][] = [
  [[0.31, -0.12, 0.05, 0.44, -0.27, 0.18, 0.09, 0.36, -0.02, 0.5, 0.22], [], 12, 0.0673828125],
  [
    [0.31, -0.12, 0.05, 0.44, -0.27, 0.18, 0.09, 0.36, -0.02, 0.5, 0.22, 0.13, -0.4, 0.61, 0.07, 0.29],
    [],
    28,
    0.03863525390625,
  ],
  [[1, 2, 3, 4, 5, 6], [1, 1, 2, 2, 9, 3], 5, 0.5625],
  [[3, 1, 4, 1, 5, 9, 2, 6], [2, 7, 1, 8, 2, 8, 1, 8], 17, 0.9296875],
];

test('Wilcoxon signed-rank test equals scipy.stats.wilcoxon with default arguments', () => {
  for (const [x, yGiven, statistic, p] of WILCOXON) {
    const y = yGiven.length > 0 ? yGiven : x.map(() => 0);
    const result = wilcoxonSignedRank(x, y);
    assert.equal(result.statistic, statistic);
    assert.ok(Math.abs(result.pValue! - p) < 1e-12, `p ${result.pValue} vs scipy ${p}`);
  }
  const x = Array.from({ length: 20 }, (_, i) => i);
  const d = [1, -2, 3, 1, 0, 2, -1, 4, 2, 2, 5, -3, 1, 6, 0, 2, 3, 1, 7, 2];
  const normal = wilcoxonSignedRank(
    x,
    x.map((v, i) => v + d[i]!),
  );
  assert.equal(normal.method, 'normal');
  assert.equal(normal.statistic, 24.5);
  assert.ok(Math.abs(normal.pValue! - 0.007465159701497623) < 1e-10);
  assert.equal(wilcoxonSignedRank([1, 2], [1, 2]).pValue, null);
});
