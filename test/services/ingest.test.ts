import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEachStore } from '../support/stores.js';
import { AppError } from '../../src/errors.js';
import { datasetIdFromName, ingestIntoStore } from '../../src/services/index.js';
import { createDataset, getDataset, getDatasetStorage, type Store } from '../../src/store/index.js';

const BREAST = 'examples/breastmnist/breastmnist_28.npz';

test('dataset ids made from names', () => {
  assert.equal(datasetIdFromName('My Chest X-rays (2024)'), 'my-chest-x-rays-2024');
  assert.equal(datasetIdFromName('  Ünïcode   Scans '), 'unicode-scans');
  assert.equal(datasetIdFromName('x'.repeat(70)), 'x'.repeat(64));
  assert.equal(datasetIdFromName('***'), '');
});

describeEachStore('ingestion into the store', (kind) => {
  let store: Store;
  let dataDir: string;
  before(async () => {
    store = await kind.open();
    dataDir = await mkdtemp(join(tmpdir(), 'ta-ingest-service-'));
  });
  after(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('the row and the stored images are written together, with the profile and the images folder', async () => {
    const outcome = await ingestIntoStore(
      store,
      { path: BREAST, field: 'path', metadata: { name: 'Breast', modality: 'Ultrasound' }, options: { size: 16 } },
      dataDir,
    );
    assert.equal(outcome.dataset.id, 'breast');
    assert.equal(outcome.dataset.modality, 'ultrasound');
    const storage = await getDatasetStorage(store.knex, 'breast');
    assert.equal(storage?.imagesDir, 'datasets/breast');
    assert.deepEqual((storage?.profile as { classCounts: Record<string, number> }).classCounts, { '0': 210, '1': 570 });
    assert.deepEqual((await readdir(join(dataDir, 'datasets', 'breast'))).sort(), [
      'manifest.json',
      'pixels.u8',
      'profile.json',
    ]);
  });

  test('when the row cannot be written after the images were moved into place, the images go too', async () => {
    let registered: Promise<unknown> | undefined;
    // Someone registers the id while the images are being normalised: the final insert must lose, cleanly.
    const onProgress = (p: { stage: string }) => {
      if (p.stage === 'normalising' && !registered) {
        registered = createDataset(
          store.knex,
          {
            id: 'raced',
            name: 'Raced',
            description: 'Registered meanwhile.',
            origin: 'medical',
            modality: 'x-ray',
            images: 5,
            classes: 2,
            image_size: 'variable',
            channels: 1,
            licence: 'proprietary',
          },
          'api',
        );
      }
    };
    await assert.rejects(
      ingestIntoStore(
        store,
        { path: BREAST, field: 'path', metadata: { name: 'Raced' }, options: { size: 16 } },
        dataDir,
        onProgress,
      ),
      (e: unknown) => e instanceof AppError && e.code === 'conflict' && /'raced' already exists/.test(e.message),
    );
    await registered;
    assert.equal((await getDataset(store.knex, 'raced'))?.record_origin, 'api');
    assert.equal((await getDatasetStorage(store.knex, 'raced'))?.imagesDir, null);
    assert.deepEqual((await readdir(join(dataDir, 'datasets'))).sort(), ['breast']);
  });
});
