import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupSplit, stratifiedSplit } from '../../src/images/split.js';

const labels = [...Array(100).fill(0), ...Array(40).fill(1), ...Array(7).fill(2)];
const fractions = { train: 0.7, val: 0.15, test: 0.15 };

function counts(splits: readonly string[], ls: readonly number[], cls: number): Record<string, number> {
  const out: Record<string, number> = { train: 0, val: 0, test: 0 };
  splits.forEach((s, i) => {
    if (ls[i] === cls) out[s]!++;
  });
  return out;
}

test('stratified split gives every class its share, rounded', () => {
  const splits = stratifiedSplit(labels, fractions, 42);
  assert.deepEqual(counts(splits, labels, 0), { train: 70, val: 15, test: 15 });
  assert.deepEqual(counts(splits, labels, 1), { train: 28, val: 6, test: 6 });
  assert.deepEqual(counts(splits, labels, 2), { train: 5, val: 1, test: 1 });
});

test('the same seed gives the same split; another seed another one', () => {
  assert.deepEqual(stratifiedSplit(labels, fractions, 1), stratifiedSplit(labels, fractions, 1));
  assert.notDeepEqual(stratifiedSplit(labels, fractions, 1), stratifiedSplit(labels, fractions, 2));
});

test('a class too small for three splits keeps at least one training image', () => {
  const splits = stratifiedSplit([0, 0, 1, 1, 1, 1, 1, 1], fractions, 3);
  assert.ok(splits.slice(0, 2).includes('train'));
});

test('group split never puts one group in two splits and stays near the fractions', () => {
  const ls: number[] = [];
  const groups: string[] = [];
  for (let g = 0; g < 60; g++) {
    const size = 1 + (g % 5);
    for (let k = 0; k < size; k++) {
      ls.push(g % 3);
      groups.push(`smear-${g}`);
    }
  }
  const splits = groupSplit(ls, groups, fractions, 9);
  const seen = new Map<string, string>();
  groups.forEach((g, i) => {
    assert.equal(seen.get(g) ?? splits[i], splits[i]);
    seen.set(g, splits[i]!);
  });
  const n = ls.length;
  const share = (s: string) => splits.filter((x) => x === s).length / n;
  assert.ok(Math.abs(share('train') - 0.7) < 0.08, `train ${share('train')}`);
  assert.ok(Math.abs(share('test') - 0.15) < 0.08, `test ${share('test')}`);
  assert.deepEqual(groupSplit(ls, groups, fractions, 9), splits);
});
