import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../src/errors.js';
import {
  currentRanker,
  recommend,
  refitRanker,
  registerDataset,
  seedRegistry,
  storedEvaluation,
} from '../../src/services/index.js';
import { queueMissingEvaluation, type Dispatcher } from '../../src/services/jobs.js';
import { listRankers, type Store } from '../../src/store/index.js';
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

  test('a measured target shows its results as measured, first', async () => {
    const result = await recommend(store, {
      target: 'breastmnist',
      context: { study: 'medmnist-transferability', candidateSet: 'sources' },
    });
    assert.ok(result.items[0]!.measured.length > 0);
    assert.equal(result.items[0]!.measured[0]!.rank, 1);
    assert.ok(result.items[0]!.measured[0]!.value > 0.5 && result.items[0]!.measured[0]!.value <= 1);
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
