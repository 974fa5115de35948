import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeMatch, matchMeasuredTarget, sameDataBound } from '../../src/ranking/index.js';
import type { ComparableEmbedding } from '../../src/task2vec/embedding.js';

const PROBE: ComparableEmbedding['probe'] = {
  id: 'a'.repeat(64),
  name: 'p',
  architecture: 'x',
  inputSize: 224,
  pixelScaling: 'minus1to1',
};
const OTHER = { ...PROBE, id: 'b'.repeat(64), name: 'q' };

function embedding(dataset: string, values: readonly number[], probe = PROBE): ComparableEmbedding {
  return {
    dataset,
    hessian: Float32Array.from(values),
    scale: new Float32Array(values.length).fill(1),
    probe,
  };
}

/*
 * Task2Vec's symmetric cosine distance of these vectors, from the reference's formula:
 *   import numpy as np
 *   def d(a, b):
 *       a, b = np.array(a, float), np.array(b, float); s = a + b + 1e-8
 *       x, y = a / s, b / s
 *       return 1 - x @ y / np.linalg.norm(x) / np.linalg.norm(y)
 *   t = [1, 2, 3, 4]
 *   d(t, [1, 2, 3, 4.2])  # 0.000223
 *   d(t, [4, 3, 2, 1])    # 0.333
 *   d(t, [1, 1, 1, 1])    # 0.126
 *   d(t, [1, 2, 3.3, 4])  # 0.000850
 */
const target = embedding('new', [1, 2, 3, 4]);
const same = embedding('measured-same', [1, 2, 3, 4.2]);
const far = embedding('measured-far', [4, 3, 2, 1]);
const flat = embedding('measured-flat', [1, 1, 1, 1]);

test('the same-data bound is the largest measured same-data distance, and none without measurements', () => {
  assert.equal(sameDataBound([0.01, 0.03, 0.02]), 0.03);
  assert.equal(sameDataBound([]), null);
  assert.equal(sameDataBound([Number.NaN]), null);
});

test('the nearest measured target within the bound, with the runner-up beyond it, is a match', () => {
  const m = matchMeasuredTarget(target, [far, flat, same], 0.01);
  assert.equal(m.verdict, 'match');
  assert.equal(m.match?.target, 'measured-same');
  assert.ok(Math.abs(m.match!.distance - 0.000223) < 5e-6, String(m.match!.distance));
  assert.deepEqual(
    m.nearest.map((n) => n.target),
    ['measured-same', 'measured-flat', 'measured-far'],
  );
  assert.ok(Math.abs(m.nearest[1]!.distance - 0.126) < 5e-4);
  assert.ok(Math.abs(m.nearest[2]!.distance - 0.333) < 5e-4);
  assert.equal(m.compared, 3);
  assert.match(describeMatch(m), /^matches measured target measured-same: distance 0\.00022 <= same-data bound 0\.010/);
});

test('beyond the bound nothing matches, and the nearest are still reported', () => {
  const m = matchMeasuredTarget(target, [far, flat], 0.01, { show: 1 });
  assert.equal(m.verdict, 'no-match');
  assert.equal(m.match, null);
  assert.deepEqual(
    m.nearest.map((n) => n.target),
    ['measured-flat'],
  );
  assert.match(describeMatch(m), /no measured target matches.*measured-flat 0\.13/);
});

test('a runner-up within the bound too makes the match ambiguous', () => {
  const twin = embedding('measured-twin', [1, 2, 3.3, 4]);
  const m = matchMeasuredTarget(target, [same, twin, far], 0.01);
  assert.equal(m.verdict, 'ambiguous');
  assert.equal(m.match, null);
  // A bound between the two distances (0.000223 and 0.000850) separates them again.
  assert.equal(matchMeasuredTarget(target, [same, twin, far], 0.0005).verdict, 'match');
});

test('embeddings of another probe are not compared, and without a bound nothing is the same data', () => {
  const elsewhere = embedding('measured-same', [1, 2, 3, 4], OTHER);
  const none = matchMeasuredTarget(target, [elsewhere], 0.01);
  assert.equal(none.verdict, 'none-comparable');
  assert.equal(none.compared, 0);
  assert.deepEqual(none.nearest, []);
  const mixed = matchMeasuredTarget(target, [elsewhere, far], 0.01);
  assert.deepEqual(
    mixed.nearest.map((n) => n.target),
    ['measured-far'],
  );
  const unbounded = matchMeasuredTarget(target, [same, far], null);
  assert.equal(unbounded.verdict, 'no-bound');
  assert.equal(unbounded.match, null);
});

test('the target itself among the measured embeddings is not its own match', () => {
  const m = matchMeasuredTarget(target, [embedding('new', [1, 2, 3, 4]), far], 0.01);
  assert.equal(m.verdict, 'no-match');
  assert.deepEqual(
    m.nearest.map((n) => n.target),
    ['measured-far'],
  );
});
