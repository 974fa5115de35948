/**
 * LogME, LEEP and NCE against ../shared/fixtures/transferability/logme_leep_nce.json, values the
 * reference implementation (thuml/LogME) computed. H-score and kNN against values computed
 * independently with Debian's python3-numpy 2.4.6 by this snippet (run from the repository root):
 *
 *   import json, numpy as np
 *   cases = json.load(open('../shared/fixtures/transferability/logme_leep_nce.json'))['cases']
 *   def ledoit_wolf(x):  # centred rows; the formula of sklearn.covariance.ledoit_wolf_shrinkage
 *       n, d = x.shape
 *       s = x.T @ x / n
 *       mu = np.trace(s) / d
 *       delta2 = np.sum((s - mu * np.eye(d)) ** 2) / d
 *       beta2 = (np.sum(np.sum(x ** 2, axis=1) ** 2) / n - np.sum(s ** 2)) / (n * d)
 *       alpha = min(beta2, delta2) / delta2
 *       return (1 - alpha) * s + alpha * mu * np.eye(d), alpha
 *   def hscore(f, y):
 *       x = f - f.mean(axis=0, keepdims=True)
 *       cov, alpha = ledoit_wolf(x)
 *       g = np.zeros_like(x)
 *       for c in np.unique(y): g[y == c] = x[y == c].mean(axis=0)
 *       return np.trace(np.linalg.pinv(cov, rcond=1e-15) @ ((1 - alpha) * np.cov(g, rowvar=False)))
 *   def knn(f, y, k=5):
 *       u = f / np.linalg.norm(f, axis=1, keepdims=True)
 *       s = u @ u.T
 *       correct = 0
 *       for i in range(len(y)):
 *           nn = sorted([j for j in range(len(y)) if j != i], key=lambda j: (-s[i, j], j))[:k]
 *           votes = {}
 *           for j in nn: votes.setdefault(y[j], [0, 0.0]); votes[y[j]][0] += 1; votes[y[j]][1] += s[i, j]
 *           correct += sorted(votes.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))[0][0] == y[i]
 *       return correct / len(y)
 *   for c in cases:
 *       f = np.array(c['features'], dtype=np.float32).astype(np.float64); y = np.array(c['labels'])
 *       print(float(hscore(f, y)), knn(f, y))
 *   n, d = 90, 12
 *   i = np.arange(n)[:, None]; j = np.arange(d)[None, :]; y = np.arange(n) % 3
 *   f = np.sin(1.7 * i + 0.3 * j * j) + 0.5 * y[:, None] * np.cos(j)
 *   print(float(hscore(f, y)), knn(f, y))
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  estimatorScores,
  hscore,
  knnAccuracy,
  leep,
  logme,
  nce,
  type LabelledFeatures,
  type SourceProbabilities,
} from '../../src/estimators/index.js';
import { symmetricEigenProjection } from '../../src/estimators/symmetric-eigen.js';
import { AppError } from '../../src/errors.js';

interface Case {
  n: number;
  d: number;
  classes: number;
  features: number[][];
  labels: number[];
  source_probabilities: number[][];
  logme_fixed_point: number;
  logme_icml: number;
  leep: number;
  nce: number;
}

const cases = (
  JSON.parse(readFileSync('../shared/fixtures/transferability/logme_leep_nce.json', 'utf8')) as { cases: Case[] }
).cases;

const featuresOf = (c: Case): LabelledFeatures => ({
  count: c.n,
  dimension: c.d,
  values: Float32Array.from(c.features.flat()),
  labels: Int32Array.from(c.labels),
  classes: c.classes,
});

const probabilitiesOf = (c: Case): SourceProbabilities => ({
  count: c.n,
  sourceClasses: c.source_probabilities[0]!.length,
  values: Float64Array.from(c.source_probabilities.flat()),
});

const PYTHON = {
  hscore: [0.8393836197331728, 1.704573034657745, 2.954565215831809, 0.006433010116724428],
  knn: [0.9833333333333333, 0.995, 1.0, 0.21],
  synthetic: { hscore: 0.9992754008235162, knn: 0.9444444444444444 },
};

function close(actual: number, expected: number, relative: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= relative * Math.abs(expected), `${what}: ${actual} vs ${expected}`);
}

test('the fixture covers N > D, N < D and 2 to 5 classes', () => {
  assert.equal(cases.length, 4);
  assert.ok(cases.some((c) => c.d > c.n) && cases.some((c) => c.d < c.n));
});

test('LogME (fixed point and ICML) matches the reference implementation to 1e-6 relative', () => {
  cases.forEach((c, k) => {
    close(logme(featuresOf(c)), c.logme_fixed_point, 1e-6, `case ${k} fixed point`);
    close(logme(featuresOf(c), 'icml'), c.logme_icml, 1e-6, `case ${k} icml`);
  });
});

test('LEEP and NCE match the reference implementation to 1e-6 relative', () => {
  cases.forEach((c, k) => {
    close(leep(featuresOf(c), probabilitiesOf(c)), c.leep, 1e-6, `case ${k} leep`);
    close(nce(featuresOf(c), probabilitiesOf(c)), c.nce, 1e-6, `case ${k} nce`);
  });
});

test('H-score with Ledoit-Wolf shrinkage and 5-NN leave-one-out accuracy match numpy', () => {
  cases.forEach((c, k) => {
    close(hscore(featuresOf(c)), PYTHON.hscore[k]!, 1e-9, `case ${k} hscore`);
    assert.equal(knnAccuracy(featuresOf(c)), PYTHON.knn[k]);
  });
  const n = 90;
  const d = 12;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const values = Float64Array.from({ length: n * d }, (_, k) => {
    const i = Math.floor(k / d);
    const j = k % d;
    return Math.sin(1.7 * i + 0.3 * j * j) + 0.5 * labels[i]! * Math.cos(j);
  });
  const synthetic = { count: n, dimension: d, values, labels, classes: 3 };
  close(hscore(synthetic), PYTHON.synthetic.hscore, 1e-9, 'synthetic hscore');
  assert.equal(knnAccuracy(synthetic), PYTHON.synthetic.knn);
});

test('features that carry the labels score higher than features that do not, on every estimator', () => {
  const n = 120;
  const d = 8;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  const noise = (k: number): number => (Math.sin(12.9898 * k) * 43758.5453) % 1;
  const informative = Float64Array.from(
    { length: n * d },
    (_, k) => noise(k) + (k % d === 0 ? 2 * labels[Math.floor(k / d)]! : 0),
  );
  const uninformative = Float64Array.from({ length: n * d }, (_, k) => noise(k));
  const good = estimatorScores({ count: n, dimension: d, values: informative, labels, classes: 2 }).scores;
  const bad = estimatorScores({ count: n, dimension: d, values: uninformative, labels, classes: 2 }).scores;
  for (const name of ['logme', 'hscore', 'knn'] as const)
    assert.ok(good[name]! > bad[name]!, `${name}: ${good[name]} <= ${bad[name]}`);
});

test('without source probabilities LEEP and NCE are skipped with the reason, never filled in', () => {
  const out = estimatorScores(featuresOf(cases[0]!));
  assert.deepEqual(Object.keys(out.scores).sort(), ['hscore', 'knn', 'logme']);
  assert.match(out.skipped.leep!, /no source classifier head/);
  assert.match(out.skipped.nce!, /no source classifier head/);
  const withHead = estimatorScores(featuresOf(cases[0]!), probabilitiesOf(cases[0]!));
  close(withHead.scores.leep!, cases[0]!.leep, 1e-6, 'leep');
});

test('bad inputs are refused naming the field', () => {
  const c = featuresOf(cases[0]!);
  const refused = (f: () => unknown, field: string): void => {
    assert.throws(f, (e: unknown) => e instanceof AppError && e.fields.some((p) => p.field === field));
  };
  refused(() => logme({ ...c, labels: new Int32Array(c.count) }), 'labels');
  refused(() => logme({ ...c, classes: 3 }), 'labels');
  refused(() => hscore({ ...c, values: c.values.subarray(1) }), 'features');
  refused(() => leep(c, { ...probabilitiesOf(cases[0]!), count: 3 }), 'source_probabilities');
});

test('the eigen-solver gives the eigenvalues and the coordinates of vectors on the eigenvectors', () => {
  // [[2,1,0],[1,2,1],[0,1,2]] has eigenvalues 2 - sqrt 2, 2, 2 + sqrt 2 with eigenvectors
  // (1, -sqrt 2, 1)/2, (1, 0, -1)/sqrt 2, (1, sqrt 2, 1)/2; e_1 has coordinates 1/2, 1/sqrt 2, 1/2.
  const { values, coordinates } = symmetricEigenProjection(Float64Array.of(2, 1, 0, 1, 2, 1, 0, 1, 2), 3, [
    Float64Array.of(1, 0, 0),
  ]);
  const expected = [2 - Math.SQRT2, 2, 2 + Math.SQRT2];
  expected.forEach((v, i) => assert.ok(Math.abs(values[i]! - v) < 1e-12));
  [0.5, Math.SQRT1_2, 0.5].forEach((v, i) => assert.ok(Math.abs(Math.abs(coordinates[0]![i]!) - v) < 1e-12));
});
