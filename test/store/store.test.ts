import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/stores.js';
import {
  createDataset,
  getDataset,
  listDatasets,
  upsertDataset,
  insertRun,
  listRuns,
  getRun,
  withdrawRun,
  ensureContributor,
  ensureProbe,
  insertEmbedding,
  listEmbeddings,
  migrateToLatest,
  type Store,
} from '../../src/store/index.js';
import type { DatasetInput } from '../../src/registry/index.js';

const isic: DatasetInput = {
  id: 'isic',
  name: 'ISIC 2018',
  description: 'Dermoscopy images of skin lesions.',
  origin: 'medical',
  modality: 'dermoscopy',
  images: 10015,
  classes: 7,
  image_size: '600x450',
  channels: 3,
  licence: 'CC BY-NC 4.0',
  expert_features: {
    origin: 'medical',
    colour: 'colour',
    content: 'objects',
    kind: 'skin',
    diversity: 'medium',
    classes: '3-10',
  },
};
const stl: DatasetInput = {
  id: 'stl10',
  name: 'STL-10',
  description: 'Natural photographs.',
  origin: 'natural',
  modality: 'photograph',
  images: 13000,
  classes: 10,
  image_size: '96x96',
  channels: 3,
  licence: 'unknown',
};

describeEachStore('store', (kind) => {
  let store: Store;
  before(async () => {
    store = await kind.open();
    await ensureContributor(store.knex, { id: 'alice', name: 'Alice', role: 'contributor' });
  });
  after(() => store.close());

  test('migrations are idempotent', async () => {
    assert.deepEqual(await migrateToLatest(store.knex), []);
  });

  test('datasets round-trip with expert features and filter by origin and modality', async () => {
    await createDataset(store.knex, isic, 'api');
    await createDataset(store.knex, stl, 'api');
    const got = await getDataset(store.knex, 'isic');
    assert.equal(got?.expert_features?.kind, 'skin');
    assert.equal(got?.channels, 3);
    assert.match(got!.created_at, /^\d{4}-\d{2}-\d{2}T/);
    const medical = await listDatasets(store.knex, { origin: 'medical' }, { page: 1, pageSize: 10 });
    assert.deepEqual(
      medical.items.map((d) => d.id),
      ['isic'],
    );
    assert.equal(medical.total, 1);
    const photos = await listDatasets(store.knex, { modality: 'Photograph' }, { page: 1, pageSize: 10 });
    assert.deepEqual(
      photos.items.map((d) => d.id),
      ['stl10'],
    );
    const page2 = await listDatasets(store.knex, {}, { page: 2, pageSize: 1 });
    assert.deepEqual(
      page2.items.map((d) => d.id),
      ['stl10'],
    );
    assert.equal(page2.total, 2);
  });

  test('registering an existing id is a conflict and leaves the record alone', async () => {
    await assert.rejects(createDataset(store.knex, { ...isic, name: 'Other' }, 'api'), /already exists/);
    assert.equal((await getDataset(store.knex, 'isic'))?.name, 'ISIC 2018');
  });

  test("upsert never takes over a user's record; for its own it reports unchanged, then updated when a field changes", async () => {
    await assert.rejects(upsertDataset(store.knex, stl, 'registry'), /already exists as an api record/);
    assert.equal((await getDataset(store.knex, 'stl10'))?.record_origin, 'api');
    await store.knex('datasets').where({ id: 'stl10' }).update({ origin_of_record: 'registry' });
    assert.equal(await upsertDataset(store.knex, stl, 'registry'), 'unchanged');
    assert.equal(await upsertDataset(store.knex, { ...stl, images: 13001 }, 'registry'), 'updated');
    assert.equal((await getDataset(store.knex, 'stl10'))?.images, 13001);
  });

  test('transfer runs keep one row per fold, filter by target and can be withdrawn', async () => {
    const protocol = { folds: 3, metric: 'auc-ovr-weighted' } as const;
    await insertRun(store.knex, {
      id: 'r1',
      source: 'stl10',
      target: 'isic',
      architecture: 'resnet50',
      protocol,
      foldValues: [0.9, 0.91, 0.92],
      provenance: { contributor: 'alice' },
      duplicateKey: 'k1',
    });
    await insertRun(store.knex, {
      id: 'r0',
      source: null,
      target: 'isic',
      architecture: 'resnet50',
      protocol,
      foldValues: [0.8, 0.81, 0.82],
      provenance: { contributor: 'alice' },
      duplicateKey: 'k0',
    });
    const rows = await store.knex('transfer_results').where({ run_id: 'r1' });
    assert.equal(rows.length, 3);
    const run = await getRun(store.knex, 'r1');
    assert.deepEqual(run?.foldValues, [0.9, 0.91, 0.92]);
    const baselines = await listRuns(store.knex, { target: 'isic', baseline: true }, { page: 1, pageSize: 10 });
    assert.deepEqual(
      baselines.items.map((r) => r.id),
      ['r0'],
    );
    await withdrawRun(store.knex, 'r1', 'alice');
    assert.equal((await listRuns(store.knex, { target: 'isic' }, { page: 1, pageSize: 10 })).total, 1);
    const all = await listRuns(store.knex, { target: 'isic', includeWithdrawn: true }, { page: 1, pageSize: 10 });
    assert.ok(all.items.find((r) => r.id === 'r1')?.withdrawnAt);
  });

  test('a run naming an unknown dataset is refused by the schema', async () => {
    await assert.rejects(
      insertRun(store.knex, {
        id: 'r9',
        source: 'nope',
        target: 'isic',
        architecture: 'resnet50',
        protocol: { folds: 1, metric: 'auc' },
        foldValues: [0.5],
        provenance: { contributor: 'alice' },
        duplicateKey: 'k9',
      }),
    );
    assert.equal(await getRun(store.knex, 'r9'), undefined);
  });

  test('embeddings store float32 vectors bit for bit with their probe', async () => {
    await ensureProbe(store.knex, {
      id: 'p1',
      name: 'probe',
      architecture: 'tiny',
      input_size: 32,
      pixel_scaling: 'zero1',
    });
    const hessian = new Float32Array([0, 1e-30, 3.5, -0, 1.1754943508222875e-38, 123456.789]);
    const id = await insertEmbedding(store.knex, {
      datasetId: 'isic',
      probeId: 'p1',
      method: 'montecarlo',
      hessian,
      options: { epochs: 1 },
      seed: 7,
      origin: 'computed',
    });
    const [stored] = await listEmbeddings(store.knex, { datasetId: 'isic' });
    assert.equal(stored?.id, id);
    assert.deepEqual(Array.from(stored!.hessian), Array.from(hessian));
    assert.equal(stored?.seed, 7);
  });
});
