import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../src/errors.js';
import {
  currentRanker,
  recommend,
  refitRanker,
  registerDataset,
  restoreResult,
  withdrawResult,
  seedRegistry,
  storedEvaluation,
} from '../../src/services/index.js';
import { queueMissingEvaluation, type Dispatcher } from '../../src/services/jobs.js';
import {
  allRuns,
  insertEmbedding,
  listEmbeddings,
  listProbes,
  listRankers,
  upsertPairSignals,
  type Store,
} from '../../src/store/index.js';
import { distance } from '../../src/task2vec/index.js';
import { weightedTau } from '../../src/ranking/index.js';
import { isBundledLocation, type PixelScaling } from '../../src/probes/index.js';
import { describeEachStore } from '../support/stores.js';

/** Two new targets that differ in every trait the model knows: a small grey ultrasound set and a large colour dermoscopy set. */
const NEW_TARGETS = [
  {
    id: 'new-ultrasound',
    name: 'new ultrasound',
    description: 'a small grey ultrasound set',
    origin: 'medical',
    modality: 'ultrasound',
    images: 600,
    classes: 2,
    image_size: '128x128',
    channels: 1,
    licence: 'CC-BY-4.0',
  },
  {
    id: 'new-dermoscopy',
    name: 'new dermoscopy',
    description: 'a large colour dermoscopy set',
    origin: 'medical',
    modality: 'dermoscopy',
    images: 40000,
    classes: 8,
    image_size: '224x224',
    channels: 3,
    licence: 'CC-BY-4.0',
  },
];

describeEachStore('ranker: seed, refit, recommend', (kind) => {
  let store: Store;
  before(async () => {
    store = await kind.open();
    await seedRegistry(store, 'datasets-registry');
    for (const d of NEW_TARGETS) await registerDataset(store, d);
  });
  after(() => store.close());

  test('before a refit there is no model, and a read does not fit one', async () => {
    await assert.rejects(
      currentRanker(store),
      (err: unknown) => err instanceof AppError && err.code === 'unprocessable',
    );
    await assert.rejects(
      recommend(store, { target: 'new-ultrasound' }),
      (err: unknown) => err instanceof AppError && err.code === 'unprocessable',
    );
    assert.equal((await listRankers(store.knex)).length, 0);
  });

  test('refit stores one model; recommendations rank backbones with intervals, explanations and evidence, and never refit', async () => {
    const fitted = await refitRanker(store);
    assert.equal(fitted.refitted, true);
    assert.ok(fitted.model.training.targets.includes('breastmnist'));

    const result = await recommend(store, { target: 'new-ultrasound' });
    assert.equal(result.scale, 'z-within-group');
    assert.equal(result.ranker.version, fitted.version);
    assert.equal(result.ranker.refitted, false);
    assert.ok(result.items.length >= 20, `${result.items.length} backbones`);
    for (const item of result.items) {
      assert.ok(item.interval80[0] < item.mean && item.mean < item.interval80[1]);
      assert.ok(item.interval90[0] < item.interval80[0] && item.interval80[1] < item.interval90[1]);
      const e = item.explanation;
      const sum =
        e.trackRecord +
        e.traits +
        e.interactions.reduce((a, x) => a + x.effect, 0) +
        e.signals.reduce((a, x) => a + x.effect, 0);
      assert.ok(Math.abs(sum - item.mean) < 1e-9);
      assert.equal(item.measured.length, 0);
      assert.ok(item.weights.provider.length > 0);
      assert.ok(item.reason.length > 0);
    }
    // The target has no embedding: every source's Task2Vec distance is missing, and said to be.
    assert.equal(result.targetEmbedded, false);
    assert.ok(result.withoutEmbedding.includes('imagenet'));
    assert.ok(result.items.find((i) => i.backbone === 'imagenet-resnet18')!.evidence.targetsMeasured >= 11);
    assert.equal((await listRankers(store.knex)).length, 1);
  });

  test('two different new targets get different rankings, and the interactions say why', async () => {
    const a = await recommend(store, {
      target: 'new-ultrasound',
      context: { study: 'medmnist-transferability', candidateSet: 'sources' },
    });
    const b = await recommend(store, {
      target: 'new-dermoscopy',
      context: { study: 'medmnist-transferability', candidateSet: 'sources' },
    });
    // The study's 15 source backbones; for a target of its own, the one pretrained on it is left out of its results.
    assert.equal(a.items.length, 15);
    const means = (r: typeof a) => new Map(r.items.map((i) => [i.backbone, i.mean]));
    const [ma, mb] = [means(a), means(b)];
    assert.ok(
      [...ma].some(([id, m]) => Math.abs(m - mb.get(id)!) > 0.01),
      'some prediction moves with the target',
    );
    const interactions = (r: typeof a) =>
      r.items.map((i) => i.explanation.interactions.map((x) => x.effect.toFixed(6)).join(',')).join(';');
    assert.notEqual(interactions(a), interactions(b));
  });

  test('a new target within the same-data bound of a measured target is ranked as that target; one beyond it says so and shows the nearest', async () => {
    const bundled = (await listProbes(store.knex)).find((p) => isBundledLocation(p.location))!;
    const chest = (await listEmbeddings(store.knex, { datasetId: 'chest', probeId: bundled.id }))[0]!;
    // A noise file of this registry's form; the bound is the largest same-data distance in it.
    const registry = mkdtempSync(join(tmpdir(), 'ta-noise-'));
    mkdirSync(join(registry, 'embeddings', bundled.name), { recursive: true });
    writeFileSync(
      join(registry, 'embeddings', bundled.name, 'noise.yaml'),
      `probe: ${bundled.id}\nsame_data:\n  - { dataset: chest, kind: seed, distance: 0.002 }\n  - { dataset: chest, kind: split-half, distance: 0.004 }\n`,
    );
    const previous = process.env.TA_REGISTRY_DIR;
    process.env.TA_REGISTRY_DIR = registry;
    try {
      for (const [id, hessian] of [
        // The same data embedded again: chest's vector, each filter moved by at most 0.1 %.
        ['new-chest', chest.hessian.map((v, i) => v * (1 + 0.001 * Math.sin(i)))],
        // Chest's filters in reverse order: like no measured target.
        ['new-ultrasound', chest.hessian.slice().reverse()],
      ] as const) {
        if (id === 'new-chest')
          await registerDataset(store, { ...NEW_TARGETS[0]!, id, name: id, modality: 'x-ray', channels: 1 });
        await insertEmbedding(store.knex, {
          datasetId: id,
          probeId: bundled.id,
          method: 'montecarlo',
          hessian: Float32Array.from(hessian),
          options: {},
          origin: 'computed',
        });
      }
      const matched = await recommend(store, { target: 'new-chest' });
      const s = matched.similarity!;
      assert.equal(s.verdict, 'match');
      assert.equal(s.match!.target, 'chest');
      assert.equal(s.sameDataBound, 0.004);
      assert.ok(s.match!.distance < 0.004, String(s.match!.distance));
      assert.ok(s.compared >= 2, `${s.compared} measured targets compared`);
      assert.deepEqual(
        s.matchedResults.map((m) => m.study),
        ['cats-scans'],
      );
      assert.ok(s.matchedResults[0]!.backbones >= 7);
      assert.match(
        s.summary,
        /^matches measured target chest: distance .* <= same-data bound 0\.0040.*cats-scans measured \d+ backbones on it/,
      );
      // Chest's measured results rank it, first and marked; ImageNet was best there.
      assert.equal(matched.target, 'new-chest');
      assert.equal(matched.items[0]!.backbone, 'imagenet-resnet50');
      assert.equal(matched.items[0]!.measured[0]!.rank, 1);
      assert.match(matched.items[0]!.reason, /^measured on chest \(this target.s match\)/);
      const predicted = matched.items.find((i) => i.measured.length === 0)!;
      assert.match(predicted.reason, /predicted for chest \(this target.s match\)$/);

      const unmatched = await recommend(store, { target: 'new-ultrasound' });
      assert.equal(unmatched.similarity!.verdict, 'no-match');
      assert.equal(unmatched.similarity!.match, null);
      assert.ok(unmatched.similarity!.nearest.length >= 2);
      assert.ok(unmatched.similarity!.nearest[0]!.distance > 0.004);
      assert.match(unmatched.similarity!.summary, /^no measured target matches: the nearest is beyond/);
      assert.ok(unmatched.items.every((i) => i.measured.length === 0));

      // Without a noise file no distance can be called the same data.
      process.env.TA_REGISTRY_DIR = join(registry, 'none');
      const unbounded = await recommend(store, { target: 'new-chest' });
      assert.equal(unbounded.similarity!.verdict, 'no-bound');
      assert.ok(unbounded.items.every((i) => i.measured.length === 0));
      // A measured target is ranked by its own results and compared with nothing.
      assert.equal((await recommend(store, { target: 'chest' })).similarity, null);
    } finally {
      if (previous === undefined) delete process.env.TA_REGISTRY_DIR;
      else process.env.TA_REGISTRY_DIR = previous;
      rmSync(registry, { recursive: true, force: true });
    }
  });

  test('a new target shows its Task2Vec distance to every source sharing its probe, names the rest, and shows its estimator scores', async () => {
    const bundled = (await listProbes(store.knex)).find((p) => isBundledLocation(p.location))!;
    const shipped = await listEmbeddings(store.knex, { probeId: bundled.id });
    const chest = shipped.find((e) => e.datasetId === 'chest')!;
    await registerDataset(store, { ...NEW_TARGETS[0]!, id: 'new-distances', name: 'new distances' });
    await insertEmbedding(store.knex, {
      datasetId: 'new-distances',
      probeId: bundled.id,
      method: 'montecarlo',
      hessian: chest.hessian,
      options: {},
      origin: 'computed',
    });
    await upsertPairSignals(store.knex, [
      {
        subject_kind: 'backbone',
        subject: `probe:${bundled.id}`,
        target: 'new-distances',
        signal: 'logme',
        value: 1.5,
        provenance: 'computed:estimators',
      },
      {
        subject_kind: 'backbone',
        subject: `probe:${bundled.id}`,
        target: 'new-distances',
        signal: 'knn',
        value: 0.75,
        provenance: 'computed:estimators',
      },
      // A contributor's score is not the service's own computation.
      {
        subject_kind: 'backbone',
        subject: 'imagenet-resnet50',
        target: 'new-distances',
        signal: 'logme',
        value: 9,
        provenance: 'someone',
      },
    ]);
    const result = await recommend(store, { target: 'new-distances' });
    const d = result.sourceDistances!;
    assert.equal(d.probe, bundled.id);
    // The same vector as chest's: distance 0, first; every other source with a shipped embedding follows, nearest first.
    assert.equal(d.items[0]!.source, 'chest');
    assert.ok(d.items[0]!.distance < 1e-6, String(d.items[0]!.distance));
    for (const source of ['imagenet', 'isic', 'stl10', 'textures']) {
      const item = d.items.find((i) => i.source === source);
      assert.ok(item, `${source} has a distance`);
      const theirs = shipped.find((e) => e.datasetId === source)!;
      const probe = {
        id: bundled.id,
        name: bundled.name,
        architecture: bundled.architecture,
        inputSize: bundled.input_size,
        pixelScaling: bundled.pixel_scaling as PixelScaling,
      } as const;
      const expected = distance(
        { hessian: chest.hessian, scale: chest.scale ?? new Float32Array(chest.hessian.length).fill(1), probe },
        { hessian: theirs.hessian, scale: theirs.scale ?? new Float32Array(theirs.hessian.length).fill(1), probe },
      );
      assert.ok(Math.abs(item.distance - expected) < 1e-9, `${source}: ${item.distance} vs ${expected}`);
    }
    assert.deepEqual(
      d.items.map((i) => i.distance),
      d.items.map((i) => i.distance).sort((a, b) => a - b),
    );
    // Sources with no embedding under the probe are named, never given a distance.
    for (const source of ['pcam-middle', 'kimia', 'sti10', 'radimagenet']) {
      assert.ok(result.withoutEmbedding.includes(source), `${source} listed without embedding`);
      assert.ok(!d.items.some((i) => i.source === source));
    }
    assert.ok(!result.withoutEmbedding.includes('imagenet'));
    assert.deepEqual(result.estimatorScores.map((e) => [e.backbone, e.signal, e.value]).sort(), [
      [`probe:${bundled.id}`, 'knn', 0.75],
      [`probe:${bundled.id}`, 'logme', 1.5],
    ]);
  });

  test('a measured target shows its results as measured, first', async () => {
    const result = await recommend(store, {
      target: 'breastmnist',
      context: { study: 'medmnist-transferability', candidateSet: 'sources' },
    });
    assert.ok(result.items[0]!.measured.length > 0);
    assert.equal(result.items[0]!.measured[0]!.rank, 1);
    assert.ok(result.items[0]!.measured[0]!.value > 0.5 && result.items[0]!.measured[0]!.value <= 1);
  });

  test('held out, a measured target is ranked by a model that never saw its results, shown beside and scored; nothing is stored', async () => {
    const models = (await listRankers(store.knex)).length;
    const result = await recommend(store, {
      target: 'retinamnist',
      context: { study: 'medmnist-transferability', candidateSet: 'sources' },
      holdOut: true,
    });
    assert.ok(!result.ranker.model.training.targets.includes('retinamnist'));
    assert.ok((await currentRanker(store)).model.training.targets.includes('retinamnist'));
    assert.equal((await listRankers(store.knex)).length, models);
    const means = result.items.map((i) => i.mean);
    assert.deepEqual(
      means,
      [...means].sort((a, b) => b - a),
      'ranked by prediction alone',
    );
    const measured = result.items.filter((i) => i.measured.length > 0);
    assert.ok(measured.length >= 2);
    for (const i of measured)
      assert.match(i.reason, /held out, measured \d+ of \d+ in medmnist-transferability\/sources/);
    // The check is recomputed here from the items: the same ranking scored against the same results.
    const check = result.heldOut!.find((c) => c.candidateSet === 'sources')!;
    const value = (i: (typeof measured)[number]) => i.measured.find((m) => m.candidateSet === 'sources')!.value;
    const inSet = measured.filter((i) => i.measured.some((m) => m.candidateSet === 'sources'));
    assert.equal(check.backbones, inSet.length);
    assert.equal(check.predictedBest, inSet[0]!.backbone);
    const best = inSet.reduce((a, b) => (value(b) > value(a) ? b : a));
    assert.equal(check.measuredBest, best.backbone);
    assert.ok(Math.abs(check.regret - (value(best) - value(inSet[0]!))) < 1e-12);
    assert.ok(
      Math.abs(
        check.weightedTau! -
          weightedTau(
            inSet.map((i) => i.mean),
            inSet.map(value),
          )!,
      ) < 1e-12,
    );
    await assert.rejects(
      recommend(store, { target: 'new-ultrasound', holdOut: true }),
      (err: unknown) => err instanceof AppError && err.field === 'hold_out',
    );
  });

  test('unknown targets and backbones are refused with the field named', async () => {
    await assert.rejects(
      recommend(store, { target: 'nope' }),
      (err: unknown) => err instanceof AppError && err.field === 'target',
    );
    await assert.rejects(
      recommend(store, { target: 'new-ultrasound', candidates: ['imagenet-resnet18', 'nope'] }),
      (err: unknown) => err instanceof AppError && err.field === 'candidates',
    );
    await assert.rejects(
      storedEvaluation(store),
      (err: unknown) => err instanceof AppError && err.code === 'unprocessable',
    );
  });

  test('a result withdrawn and then restored brings back the model of the restored evidence, not the one fitted without it', async () => {
    const before = await currentRanker(store);
    const run = (await allRuns(store.knex)).find((r) => r.target === 'retinamnist' && r.backbone !== null)!;
    const admin = { owner: 'admin', admin: true };
    await withdrawResult(store, run.id, admin);
    const without = await refitRanker(store);
    assert.notEqual(without.version, before.version);
    assert.equal((await currentRanker(store)).version, without.version);
    await restoreResult(store, run.id, admin);
    const restored = await refitRanker(store);
    assert.equal(restored.refitted, false, 'the stored model for this evidence is reused');
    assert.equal(restored.version, before.version);
    assert.equal((await currentRanker(store)).version, before.version);
  });

  test('while the latest model has no stored evaluation, start-up queues one refit job for it, and only one', async () => {
    const dispatched: string[] = [];
    const dispatcher: Dispatcher = {
      dispatch: async (job) => void dispatched.push(job.kind),
      cancel: async () => undefined,
      close: async () => undefined,
    };
    assert.equal(await queueMissingEvaluation(store.knex, dispatcher), true);
    assert.equal(await queueMissingEvaluation(store.knex, dispatcher), false);
    assert.deepEqual(dispatched, ['refit-ranker']);
  });
});
