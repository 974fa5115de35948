// How backbone scores are paired with results: z within a group, one candidate set per study and target, groups
// too small or constant left out. The pooled coefficients against scipy are in test/api/estimators.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseEstimators, groupObservations, type Observation, type PairSignal } from '../../src/ranking/index.js';

const obs = (study: string, candidateSet: string, backbone: string, target: string, value: number): Observation => ({
  study,
  candidateSet,
  backbone,
  target,
  value,
});
const score = (subject: string, target: string, value: number, signal = 'logme'): PairSignal => ({
  subjectKind: 'backbone',
  subject,
  target,
  signal,
  value,
  direction: 'higher',
});

test('a backbone in two candidate sets of one study gives one point; the larger scored set is used', () => {
  const groups = groupObservations([
    ...['a', 'b', 'c', 'd'].map((b, i) => obs('s', 'big', b, 't', 0.6 + 0.1 * i)),
    ...['a', 'b', 'c'].map((b, i) => obs('s', 'small', b, 't', 0.6 + 0.1 * i)),
  ]);
  const [logme] = analyseEstimators(groups, [
    score('a', 't', 1),
    score('b', 't', 3),
    score('c', 't', 2),
    score('d', 't', 5),
  ]);
  assert.equal(logme!.n, 4);
  assert.equal(logme!.groups, 1);
  assert.deepEqual(
    logme!.used.map((p) => [p.backbone, p.candidateSet]),
    [
      ['a', 'big'],
      ['b', 'big'],
      ['c', 'big'],
      ['d', 'big'],
    ],
  );
  // z of the scores [1, 3, 2, 5]: mean 2.75, sample sd sqrt(8.75/3).
  const sd = Math.sqrt(8.75 / 3);
  logme!.used.forEach((p, i) => assert.ok(Math.abs(p.signalZ - ([1, 3, 2, 5][i]! - 2.75) / sd) < 1e-12));
  // Results 0.6 … 0.9 are evenly spaced, so their z-scores are symmetric about zero.
  assert.ok(Math.abs(logme!.used[0]!.resultZ + logme!.used[3]!.resultZ) < 1e-12);
});

test('groups with fewer than three scored backbones or a constant score give no points; distances are not scores', () => {
  const groups = groupObservations([
    ...['a', 'b', 'c'].map((b, i) => obs('s', 'all', b, 'few', i)),
    ...['a', 'b', 'c'].map((b, i) => obs('s', 'all', b, 'flat', i)),
    ...['a', 'b', 'c'].map((b, i) => obs('s', 'all', b, 'ok', i)),
  ]);
  const analysis = analyseEstimators(groups, [
    score('a', 'few', 1),
    score('b', 'few', 2),
    ...['a', 'b', 'c'].map((b) => score(b, 'flat', 4)),
    ...['a', 'b', 'c'].map((b, i) => score(b, 'ok', 3 - i)),
    { subjectKind: 'source', subject: 'imagenet', target: 'ok', signal: 'task2vec', value: 0.2, direction: 'lower' },
  ]);
  assert.deepEqual(
    analysis.map((s) => [s.signal, s.n, s.groups, new Set(s.used.map((p) => p.target))]),
    [['logme', 3, 1, new Set(['ok'])]],
  );
  // Scores exactly reversed against results: both coefficients are -1.
  assert.ok(Math.abs(analysis[0]!.pearson.coefficient! + 1) < 1e-12);
  assert.equal(analysis[0]!.spearman.coefficient, -1);
});
