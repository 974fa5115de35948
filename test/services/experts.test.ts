import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/stores.js';
import type { Store } from '../../src/store/index.js';
import { AppError } from '../../src/errors.js';
import {
  datasetExpertFeatures,
  seedRegistry,
  storedExpertDistance,
  submitExpertAnswer,
} from '../../src/services/index.js';
import { hammingDistance } from '../../src/experts/index.js';

const isicLike = {
  origin: 'medical',
  colour: 'colour',
  content: 'objects',
  kind: 'skin',
  diversity: 'low',
  classes: '2',
};

describeEachStore('expert features service', (kind) => {
  let store: Store;
  before(async () => {
    store = await kind.open();
    await seedRegistry(store, 'datasets-registry');
  });
  after(() => store.close());

  test('observer answers override the registry features, but never a published distance', async () => {
    const publishedBefore = await storedExpertDistance(store, 'chest', 'isic');
    assert.equal(publishedBefore.from.kind, 'published');
    // Observers describe chest exactly like isic: their Hamming distance would be 0.
    await submitExpertAnswer(store, 'chest', 'ann', isicLike);
    const chest = await datasetExpertFeatures(store, 'chest');
    assert.equal(chest.source, 'observers');
    const isic = await datasetExpertFeatures(store, 'isic');
    assert.equal(hammingDistance(chest.features, isic.features), 0);
    const publishedAfter = await storedExpertDistance(store, 'isic', 'chest');
    assert.deepEqual([publishedAfter.distance, publishedAfter.from], [publishedBefore.distance, publishedBefore.from]);
    assert.notEqual(publishedAfter.distance, 0);
  });

  test('a pair nobody published is the Hamming distance of the features in force', async () => {
    const before = await storedExpertDistance(store, 'breastmnist', 'pneumoniamnist');
    assert.equal(before.from.kind, 'computed');
    assert.deepEqual(before.features, { breastmnist: 'registry', pneumoniamnist: 'registry' });
    const pneumonia = (await datasetExpertFeatures(store, 'pneumoniamnist')).features;
    await submitExpertAnswer(store, 'breastmnist', 'ann', { ...pneumonia });
    const after = await storedExpertDistance(store, 'breastmnist', 'pneumoniamnist');
    assert.deepEqual([after.distance, after.features?.breastmnist], [0, 'observers']);
  });

  test('bad submissions are refused and store nothing', async () => {
    const refusal = async (p: Promise<unknown>, kind: string, field: string) => {
      await assert.rejects(p, (e: unknown) => e instanceof AppError && e.code === kind && e.fields[0]?.field === field);
    };
    await refusal(submitExpertAnswer(store, 'atlantis', 'ann', isicLike), 'not-found', 'id');
    await refusal(submitExpertAnswer(store, 'isic', '  ', isicLike), 'invalid-request', 'observer');
    await refusal(
      submitExpertAnswer(store, 'isic', 'ann', { ...isicLike, diversity: 'extreme' }),
      'invalid-request',
      'diversity',
    );
    await refusal(submitExpertAnswer(store, 'isic', 'ann', { ...isicLike, mood: 'happy' }), 'invalid-request', 'mood');
    assert.equal((await datasetExpertFeatures(store, 'isic')).source, 'registry');
  });
});
