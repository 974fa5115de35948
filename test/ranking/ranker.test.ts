import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  featureContext,
  parseModel,
  predictPair,
  recommendSources,
  serialiseModel,
  trainRanker,
  type DatasetTraits,
  type PairDistance,
  type PairValue,
} from '../../src/ranking/index.js';

/** Synthetic world: transferability rises with log source size and falls with distance, plus fixed noise. */
const sources = ['s1', 's2', 's3', 's4', 's5', 's6'];
const targets = ['t1', 't2', 't3', 't4'];
const noise = [0.3, -0.2, 0.1, -0.4, 0.25, 0, -0.1, 0.2, 0.15, -0.3, 0.05, -0.05];
const profiles: DatasetTraits[] = [
  ...sources.map((id, i) => ({ id, images: 10 ** (3 + (i % 4)), classes: 2 + i, origin: (i % 2 ? 'natural' : 'medical') as 'natural' | 'medical', colour: 'colour' as const })),
  ...targets.map((id, i) => ({ id, images: 1000 * (i + 1), classes: 2, origin: 'medical' as const, colour: (i % 2 ? 'grey' : 'colour') as 'grey' | 'colour' })),
];
const distance = (s: number, t: number) => ((s * 7 + t * 3) % 10) / 10;
const distances: PairDistance[] = sources.flatMap((s, i) => targets.map((t, j) => ({ signal: 'd', source: s, target: t, value: distance(i, j) })));
const observations: PairValue[] = sources.flatMap((s, i) =>
  targets.map((t, j) => ({ source: s, target: t, value: 2 * (3 + (i % 4)) - 5 * distance(i, j) + noise[(i * 4 + j) % noise.length]! })),
);
const context = featureContext(profiles, distances);

test('the ranker learns the synthetic relation and reports honest intervals', () => {
  const train = observations.filter((o) => o.target !== 't4');
  const model = trainRanker(train, context, { distanceSignals: ['d'] });
  assert.equal(model.crossValidation.scheme, 'leave-one-target-out');
  assert.equal(model.crossValidation.folds, 3);
  const held = observations.filter((o) => o.target === 't4');
  let inside = 0;
  for (const o of held) {
    const p = predictPair(model, context, o.source, o.target);
    assert.ok(Math.abs(p.mean - o.value) < 2, `${o.source}: predicted ${p.mean}, measured ${o.value}`);
    if (p.interval90[0] <= o.value && o.value <= p.interval90[1]) inside++;
    assert.deepEqual(p.signalsMissing, []);
  }
  assert.ok(inside >= 5, `${inside} of 6 held-out values inside their 90% interval`);
});

test('a pair without its distance is predicted from the rest, says so, and is less certain', () => {
  const model = trainRanker(observations, context, { distanceSignals: ['d'] });
  const full = predictPair(model, context, 's2', 't1');
  const sparse = predictPair(model, featureContext(profiles, distances.filter((d) => !(d.source === 's2' && d.target === 't1'))), 's2', 't1');
  assert.deepEqual(sparse.signalsMissing, ['distance:d']);
  assert.ok(!sparse.signalsUsed.includes('distance:d'));
  assert.ok(full.distances['d'] !== undefined && sparse.distances['d'] === undefined);
  assert.ok(sparse.std > full.std, `std with distance ${full.std}, without ${sparse.std}`);
  const unknown = predictPair(model, context, 'nobody', 't1');
  assert.ok(unknown.signalsMissing.includes('source.log10Images'));
  assert.ok(Number.isFinite(unknown.mean));
});

test('models round-trip through JSON and their version follows data and hyper-parameters', () => {
  const model = trainRanker(observations, context, { distanceSignals: ['d'] });
  const restored = parseModel(serialiseModel(model));
  assert.deepEqual(predictPair(restored, context, 's3', 't2'), predictPair(model, context, 's3', 't2'));
  assert.equal(trainRanker([...observations].reverse(), context, { distanceSignals: ['d'] }).version, model.version);
  const changed = observations.map((o, i) => (i === 0 ? { ...o, value: o.value + 1 } : o));
  assert.notEqual(trainRanker(changed, context, { distanceSignals: ['d'] }).version, model.version);
  assert.notEqual(trainRanker(observations, context, { distanceSignals: ['d'], priorPrecisions: [1000] }).version, model.version);
  assert.throws(() => parseModel(JSON.stringify({ ...model, formatVersion: 99 })), /not a/);
  assert.throws(() => trainRanker(observations.slice(0, 2), context, { distanceSignals: ['d'] }), /at least 3/);
});

test('measured results take precedence over predictions in a recommendation', () => {
  const model = trainRanker(observations.filter((o) => o.target !== 't1'), context, { distanceSignals: ['d'] });
  const predictedOrder = recommendSources(model, context, { target: 't1', candidates: [...sources, 't1'] });
  assert.equal(predictedOrder.length, 6, 'the target itself is not a candidate');
  const last = predictedOrder[predictedOrder.length - 1]!.source;
  const ranked = recommendSources(model, context, { target: 't1', candidates: sources, measured: [{ source: last, target: 't1', value: 1000, results: 2 }], topK: 3 });
  assert.equal(ranked.length, 3);
  assert.equal(ranked[0]!.source, last);
  assert.equal(ranked[0]!.basis, 'measured');
  assert.match(ranked[0]!.reason, /measured transferability \+1000\.0% over 2 results/);
  assert.equal(ranked[1]!.basis, 'predicted');
  assert.match(ranked[1]!.reason, /^predicted: average pair [+-]\d+\.\d%(, [a-z.:A-Z0-9]+ [+-]\d+\.\d%| \(no feature moves it by 0\.1 point\))/);
  assert.equal(ranked[1]!.prediction.modelVersion, model.version);
});

test('a prediction explains itself: the baseline and per-feature contributions sum to its mean, largest first', () => {
  const model = trainRanker(observations, context, { distanceSignals: ['d'] });
  for (const [s, t] of [['s1', 't1'], ['s4', 't3'], ['nobody', 't2']] as const) {
    const p = predictPair(model, context, s, t);
    const total = p.contributions.reduce((a, c) => a + c.effect, p.baseline);
    assert.ok(Math.abs(total - p.mean) < 1e-9, `${s}->${t}: ${total} vs ${p.mean}`);
    const sizes = p.contributions.map((c) => Math.abs(c.effect));
    assert.deepEqual(sizes, [...sizes].sort((a, b) => b - a));
    assert.deepEqual(p.contributions.map((c) => c.feature).sort(), [...model.design.baseFeatures].sort());
  }
  // The synthetic value falls with the distance, so the distance feature pushes far pairs down.
  const far = predictPair(model, context, 's2', 't1');
  const near = predictPair(model, context, 's1', 't1');
  const effectOf = (p: typeof far) => p.contributions.find((c) => c.feature === 'distance:d')!.effect;
  assert.ok(effectOf(far) < effectOf(near), `${effectOf(far)} < ${effectOf(near)}`);
});
