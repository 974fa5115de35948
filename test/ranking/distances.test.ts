import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseCorrelations, indexDistances, resolveDistance } from '../../src/ranking/index.js';

const index = indexDistances([
  { signal: 'task2vec', source: 'a', target: 'b', value: 0.2 },
  { signal: 'task2vec', source: 'b', target: 'c', value: 0.4 },
  { signal: 'task2vec', source: 'c', target: 'b', value: 0.5 },
  { signal: 'expert', source: 'x', target: 'b', value: 3 },
]);

test('a distance answers the reversed pair unless that pair has its own', () => {
  assert.deepEqual(resolveDistance(index, 'task2vec', 'b', 'a'), { value: 0.2 });
  assert.deepEqual(resolveDistance(index, 'task2vec', 'c', 'b'), { value: 0.5 });
  assert.equal(resolveDistance(index, 'expert', 'a', 'b'), undefined);
});

test('a proxy is used only when asked for, only for its signals, and is reported', () => {
  assert.equal(resolveDistance(index, 'task2vec', 'x', 'b'), undefined);
  const proxy = { map: { x: 'a' }, signals: ['task2vec'] };
  assert.deepEqual(resolveDistance(index, 'task2vec', 'x', 'b', proxy), {
    value: 0.2,
    via: { source: 'a', target: 'b' },
  });
  assert.equal(resolveDistance(index, 'expert', 'y', 'b', { map: { y: 'x' }, signals: ['task2vec'] }), undefined);
  assert.deepEqual(
    resolveDistance(index, 'expert', 'x', 'b', proxy),
    { value: 3 },
    'a real distance wins over any proxy',
  );
});

test('a small analysis uses exact permutation p-values and lists what it left out', () => {
  const analysis = analyseCorrelations({
    transferability: [
      { source: 'a', target: 'b', value: 5 },
      { source: 'c', target: 'b', value: 1 },
      { source: 'x', target: 'b', value: 2 },
      { source: 'b', target: 'b', value: 0 },
    ],
    distances: [
      ...['a', 'c', 'd', 'e'].map((s, i) => ({ signal: 's', source: s, target: 'b', value: i })),
      { signal: 's', source: 'b', target: 'b', value: 0 },
    ],
  });
  const [s] = analysis.signals;
  assert.equal(s!.n, 2);
  assert.equal(s!.pearson.coefficient, null, 'two pairs are too few for a coefficient');
  assert.deepEqual(s!.leftOut, [
    { source: 'b', target: 'b', reason: 'self-pair' },
    { source: 'x', target: 'b', reason: 'missing-distance' },
  ]);
});
