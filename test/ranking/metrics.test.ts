import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ndcgAtK, rankCorrelation, regretAt1 } from '../../src/ranking/metrics.js';

const truth = [5, -2, 3, 0];

test('regret@1 is the gap between the best source and the top pick, averaged over tied picks', () => {
  assert.equal(regretAt1([9, 1, 2, 3], truth), 0);
  assert.equal(regretAt1([0, 1, 9, 3], truth), 2);
  assert.equal(regretAt1([7, 1, 7, 3], truth), 1);
});

test('NDCG@k is 1 for the ideal order, lower otherwise, and averages gains over ties', () => {
  assert.equal(ndcgAtK([4, 1, 3, 2], truth, 3), 1);
  // Gains (t - min)/(max - min): [1, 0, 5/7, 2/7]; the worst order puts -2 first.
  const worst = ndcgAtK([1, 4, 2, 3], truth, 3);
  const ideal = 1 + 5 / 7 / Math.log2(3) + 2 / 7 / 2;
  const expected = (0 + 2 / 7 / Math.log2(3) + 5 / 7 / 2) / ideal;
  assert.ok(Math.abs(worst - expected) < 1e-12);
  const allTied = ndcgAtK([1, 1, 1, 1], truth, 3);
  const meanGain = (1 + 0 + 5 / 7 + 2 / 7) / 4;
  assert.ok(Math.abs(allTied - (meanGain * (1 + 1 / Math.log2(3) + 0.5)) / ideal) < 1e-12);
  assert.equal(ndcgAtK([1, 2], [3, 3], 3), 1);
});

test('rank correlation is 0 for a constant ranking and null for constant truth', () => {
  assert.equal(rankCorrelation([1, 1, 1, 1], truth), 0);
  assert.equal(rankCorrelation([1, 2, 3], [4, 4, 4]), null);
  assert.equal(rankCorrelation([4, 1, 3, 2], truth), 1);
});
