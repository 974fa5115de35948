import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  evaluateRanker,
  fitBackboneRanker,
  groupObservations,
  rankBackbones,
  type BackboneTraits,
  type Evidence,
  type Observation,
  type PairSignal,
} from '../../src/ranking/index.js';
import { seededRandom } from '../../src/random.js';

/** Box-Muller on the seeded generator. */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const BACKBONES: BackboneTraits[] = ['a', 'b', 'c', 'd', 'e', 'f', 'star'].map((id, i) => ({
  id,
  source: id,
  architecture: 'resnet18',
  sourceImages: 1000 * (i + 1),
  origin: 'medical',
  modality: 'x-ray',
}));

/**
 * value = effect(backbone) + slope · signal + noise, with `star` planted 1.5 above the others and a
 * signal that is informative everywhere.
 */
function synthetic(
  targets: number,
  slope: number,
  noise: number,
  seed: number,
): { evidence: Evidence; truth: Map<string, number> } {
  const random = seededRandom(seed);
  const effect = new Map(BACKBONES.map((b, i) => [b.id, b.id === 'star' ? 1.5 : 0.2 * Math.sin(i)]));
  const observations: Observation[] = [];
  const signals: PairSignal[] = [];
  for (let t = 0; t < targets; t++) {
    const target = `t${t}`;
    for (const b of BACKBONES) {
      const s = normal(random);
      signals.push({ subjectKind: 'backbone', subject: b.id, target, signal: 'score', value: s, direction: 'higher' });
      observations.push({
        study: 'synthetic',
        candidateSet: 'all',
        backbone: b.id,
        target,
        value: effect.get(b.id)! + slope * s + noise * normal(random),
      });
    }
  }
  const evidence = {
    observations,
    backbones: BACKBONES,
    targets: Array.from({ length: targets }, (_, t) => ({ id: `t${t}` })),
    signals,
  };
  return { evidence, truth: effect };
}

test('the ranker recovers a planted backbone effect and a planted signal slope, and its parts sum to its prediction', () => {
  const { evidence } = synthetic(14, 0.8, 0.3, 11);
  const model = fitBackboneRanker(evidence);
  const signalColumn = model.encoding.columns.findIndex((c) => c.name === 'score');
  assert.ok(model.posteriorMean[signalColumn]! > 0.3, `signal weight ${model.posteriorMean[signalColumn]}`);
  // A new target where every backbone has the same signal: only the track record separates them.
  const flat = BACKBONES.map((b) => ({
    subjectKind: 'backbone' as const,
    subject: b.id,
    target: 'new',
    signal: 'score',
    value: 0,
    direction: 'higher' as const,
  }));
  const predictions = rankBackbones(model, { target: { id: 'new' }, candidates: BACKBONES, signals: flat });
  const best = predictions.reduce((a, p) => (p.mean > a.mean ? p : a));
  assert.equal(best.backbone, 'star');
  assert.ok(
    best.explanation.trackRecord + best.explanation.traits > 1,
    `star's own part ${best.explanation.trackRecord}`,
  );
  assert.equal(best.evidence.targetsMeasured, 14);
  assert.ok(best.evidence.winRate! > 0.5);
  // With the signal varying, a higher signal raises the prediction in proportion to the learned slope.
  const varied = BACKBONES.map((b, i) => ({
    subjectKind: 'backbone' as const,
    subject: b.id,
    target: 'new',
    signal: 'score',
    value: i === 0 ? 3 : 0,
    direction: 'higher' as const,
  }));
  const withSignal = rankBackbones(model, { target: { id: 'new' }, candidates: BACKBONES, signals: varied });
  assert.ok(withSignal[0]!.explanation.signals[0]!.effect > 0.5);
  for (const p of [...predictions, ...withSignal]) {
    const parts =
      p.explanation.trackRecord +
      p.explanation.traits +
      p.explanation.interactions.reduce((a, x) => a + x.effect, 0) +
      p.explanation.signals.reduce((a, x) => a + x.effect, 0);
    assert.ok(Math.abs(parts - p.mean) < 1e-12);
    assert.ok(p.interval80[0] > p.interval90[0] && p.interval80[1] < p.interval90[1]);
  }
});

test('held out target by target, the predictive intervals cover at about their nominal rate and the ranker beats random', () => {
  const { evidence } = synthetic(12, 0.6, 0.5, 5);
  const evaluation = evaluateRanker(evidence, { bootstrapResamples: 100, nullRepeats: 50 });
  const scope = evaluation.scopes[0]!;
  assert.equal(scope.targets, 12);
  assert.ok(
    scope.calibration.coverage90! > 0.8 && scope.calibration.coverage90! < 0.98,
    `90% coverage ${scope.calibration.coverage90}`,
  );
  assert.ok(
    scope.calibration.coverage80! > 0.68 && scope.calibration.coverage80! < 0.9,
    `80% coverage ${scope.calibration.coverage80}`,
  );
  const ranker = scope.methods.find((m) => m.method === 'learned ranker')!;
  const random = scope.methods.find((m) => m.method === 'random')!;
  assert.ok(ranker.metrics.weightedTau.mean! > random.metrics.weightedTau.mean! + 0.3);
  assert.ok(ranker.versusRanker.length === 0 && random.versusRanker[0]!.test!.pValue! < 0.01);
});

test('an unseen backbone gets its prior from its traits', () => {
  const { evidence } = synthetic(10, 0, 0.2, 3);
  const bigWins = {
    ...evidence,
    observations: evidence.observations.map((o) => ({
      ...o,
      value: Math.log10(BACKBONES.find((b) => b.id === o.backbone)!.sourceImages!) + o.value * 0.1,
    })),
  };
  const model = fitBackboneRanker(bigWins);
  const huge: BackboneTraits = {
    id: 'huge',
    source: 'huge',
    architecture: 'resnet18',
    sourceImages: 1e6,
    origin: 'medical',
    modality: 'x-ray',
  };
  const predictions = rankBackbones(model, { target: { id: 'new' }, candidates: [BACKBONES[0]!, huge] });
  assert.ok(predictions[1]!.mean > predictions[0]!.mean);
  // Parts are relative to the candidates' average, so its track-record part only mirrors the other's.
  assert.ok(predictions[1]!.explanation.traits > Math.abs(predictions[1]!.explanation.trackRecord));
  assert.equal(predictions[1]!.evidence.targetsMeasured, 0);
});

test('results are put on the z scale of their group, and a backbone twice in one group is refused', () => {
  const groups = groupObservations([
    { study: 's', candidateSet: 'c', backbone: 'x', target: 't', value: 0.9 },
    { study: 's', candidateSet: 'c', backbone: 'y', target: 't', value: 0.8 },
    { study: 's', candidateSet: 'c', backbone: 'z', target: 't', value: 0.7 },
    { study: 's', candidateSet: 'c', backbone: 'x', target: 'u', value: 0.5 },
  ]);
  assert.equal(groups.length, 1);
  assert.deepEqual(
    groups[0]!.z.map((v) => Math.round(v * 1e12) / 1e12 + 0),
    [1, 0, -1],
  );
  assert.throws(
    () =>
      groupObservations([
        { study: 's', candidateSet: 'c', backbone: 'x', target: 't', value: 0.9 },
        { study: 's', candidateSet: 'c', backbone: 'x', target: 't', value: 0.8 },
      ]),
    /appears twice/,
  );
});

test('a candidate set whose results scatter more around their predictions gets wider intervals, from the inner cross-validation', () => {
  const random = seededRandom(5);
  const effect = new Map(BACKBONES.map((b, i) => [b.id, i / 2]));
  const observations: Observation[] = [];
  for (let t = 0; t < 10; t++)
    for (const [candidateSet, noise] of [
      ['calm', 0.1],
      ['wild', 1.5],
    ] as const)
      for (const b of BACKBONES)
        observations.push({
          study: 'synthetic',
          candidateSet,
          backbone: b.id,
          target: `t${t}`,
          value: effect.get(b.id)! + noise * normal(random),
        });
  const model = fitBackboneRanker({
    observations,
    backbones: BACKBONES,
    targets: Array.from({ length: 10 }, (_, t) => ({ id: `t${t}` })),
    signals: [],
  });
  const { contexts, pooled } = model.varianceCalibration;
  const [calm, wild] = [contexts['synthetic/calm']!, contexts['synthetic/wild']!];
  assert.ok(calm < pooled && pooled < wild, `calm ${calm}, pooled ${pooled}, wild ${wild}`);
  const sd = (candidateSet: string) =>
    rankBackbones(model, {
      target: { id: 'new' },
      candidates: BACKBONES,
      context: { study: 'synthetic', candidateSet },
    }).find((p) => p.backbone === 'star')!.sd;
  assert.ok(sd('wild') > sd('calm') * 1.2, `wild ${sd('wild')}, calm ${sd('calm')}`);
});
