import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEachStore } from '../support/stores.js';
import { seedRegistry } from '../../src/services/index.js';
import {
  allRuns,
  getDataset,
  listBackbones,
  listEmbeddings,
  listPairSignals,
  listPublishedExpertDistances,
  listSpreads,
  listStudies,
  type Store,
} from '../../src/store/index.js';

const REGISTRY = 'datasets-registry';
const datasetFiles = readdirSync(join(REGISTRY, 'datasets')).filter((f) => f.endsWith('.yaml'));

function registryCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ta-registry-'));
  cpSync(REGISTRY, dir, { recursive: true });
  return dir;
}

async function snapshot(store: Store) {
  const tables = [
    'datasets',
    'transfer_runs',
    'transfer_results',
    'embeddings',
    'published_expert_distances',
    'probes',
    'contributors',
    'studies',
    'backbones',
    'pair_signals',
    'result_spreads',
  ];
  const out: Record<string, string[]> = {};
  // Rows as sorted JSON lines: a comparison independent of each table's key and of row order.
  for (const t of tables)
    out[t] = ((await store.knex(t).select('*')) as unknown[]).map((row) => JSON.stringify(row)).sort();
  return out;
}

describeEachStore('seed', (kind) => {
  let store: Store;
  const copies: string[] = [];
  before(async () => {
    store = await kind.open();
  });
  after(async () => {
    await store.close();
    for (const c of copies) rmSync(c, { recursive: true, force: true });
  });

  test('loads every registry dataset and the cats-scans study: 24 runs of 5 folds, expert distances, embeddings', async () => {
    const summary = await seedRegistry(store, REGISTRY);
    assert.equal(summary.datasets.created.length, datasetFiles.length);
    const runs = await allRuns(store.knex, { study: 'cats-scans' });
    assert.equal(runs.length, 24);
    assert.equal(
      runs.filter((r) => r.source === null).length,
      3,
      'three baselines, written source == target in the study',
    );
    assert.ok(runs.every((r) => r.foldValues.length === 5));
    assert.ok(runs.every((r) => r.backbone === (r.source === null ? null : `${r.source}-resnet50`)));
    const isic = runs.filter((r) => r.target === 'isic');
    assert.deepEqual(isic.map((r) => r.source ?? 'baseline').sort(), [
      'baseline',
      'chest',
      'imagenet',
      'pcam-middle',
      'pcam-small',
      'sti10',
      'stl10',
      'textures',
    ]);
    const imagenetIsic = isic.find((r) => r.source === 'imagenet')!;
    assert.equal(imagenetIsic.foldValues[0], 0.9474350924801827);
    assert.equal((await listPublishedExpertDistances(store.knex)).length, 27);
    const embeddings = await listEmbeddings(store.knex, { origin: 'published' });
    assert.equal(embeddings.length, 8);
    assert.ok(embeddings.every((e) => e.hessian.length === 53120));
  });

  test('loads the MedMNIST study: 23 backbones, 12 targets, 256 single-number results, 1,936 published scores, 256 spreads', async () => {
    const runs = await allRuns(store.knex, { study: 'medmnist-transferability' });
    assert.equal(runs.length, 256);
    assert.equal(new Set(runs.map((r) => r.backbone)).size, 23);
    assert.equal(new Set(runs.map((r) => r.target)).size, 12);
    assert.ok(runs.every((r) => r.backbone !== null && r.foldValues.length === 1 && r.protocol.metric === 'auc'));
    const densenetBlood = runs.find((r) => r.backbone === 'imagenet-densenet' && r.target === 'bloodmnist')!;
    // AUCs_model.csv gives 99.90226589083665 (percent).
    assert.ok(Math.abs(densenetBlood.foldValues[0]! - 0.9990226589083665) < 1e-15);
    assert.equal((await listPairSignals(store.knex, { provenance: 'study:medmnist-transferability' })).length, 1936);
    const logme = await listPairSignals(store.knex, {
      target: 'breastmnist',
      signal: 'logme',
      subject: 'imagenet-resnet18',
    });
    assert.deepEqual(
      logme.map((s) => [s.subject_kind, s.value]),
      [['backbone', 5.053774494921145]],
    );
    assert.equal((await listSpreads(store.knex, { study: 'medmnist-transferability' })).length, 256);
    assert.equal((await listBackbones(store.knex)).length, 32);
    assert.deepEqual(
      (await listStudies(store.knex)).map((s) => s.id),
      ['cats-scans', 'medmnist-transferability'],
    );
    assert.equal((await listPairSignals(store.knex, { signal: 'expert_distance' })).length, 27);
  });

  test('a second run changes nothing', async () => {
    const before = await snapshot(store);
    const summary = await seedRegistry(store, REGISTRY);
    assert.equal(summary.datasets.unchanged.length, datasetFiles.length);
    assert.equal(summary.results.added, 0);
    assert.equal(summary.embeddings.added, 0);
    assert.equal(summary.expertDistances.replaced, false);
    assert.ok(
      summary.studies.every(
        (s) => s.outcome === 'unchanged' && s.signals.added + s.signals.updated === 0 && !s.spreads.replaced,
      ),
    );
    assert.deepEqual(await snapshot(store), before);
  });

  test('editing one file updates exactly that dataset', async () => {
    const dir = registryCopy();
    copies.push(dir);
    const file = join(dir, 'datasets', 'kimia.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^images: .*$/m, 'images: 961'));
    const summary = await seedRegistry(store, dir);
    assert.deepEqual(summary.datasets.updated, ['kimia']);
    assert.equal(summary.datasets.created.length, 0);
    assert.equal((await getDataset(store.knex, 'kimia'))?.images, 961);
    await seedRegistry(store, REGISTRY);
  });

  test('a malformed file is rejected with its path and field, and nothing is half-loaded', async () => {
    const dir = registryCopy();
    copies.push(dir);
    writeFileSync(
      join(dir, 'datasets', 'aaa-new.yaml'),
      readFileSync(join(dir, 'datasets', 'kimia.yaml'), 'utf8').replace(/^id: .*$/m, 'id: aaa-new'),
    );
    const bad = join(dir, 'datasets', 'textures.yaml');
    writeFileSync(bad, readFileSync(bad, 'utf8').replace(/^channels: .*$/m, 'channels: 2'));
    const before = await snapshot(store);
    await assert.rejects(seedRegistry(store, dir), (err: Error) => {
      assert.match(err.message, /textures\.yaml: field 'channels'/);
      return true;
    });
    assert.deepEqual(await snapshot(store), before);
    assert.equal(await getDataset(store.knex, 'aaa-new'), undefined);
  });

  test('a non-numeric AUC in a published file is rejected with file, line and column', async () => {
    const dir = registryCopy();
    copies.push(dir);
    const csv = join(dir, 'published', 'cats-scans', 'results.csv');
    const lines = readFileSync(csv, 'utf8').split(/\r?\n/);
    lines[3] = lines[3]!.replace(/,([0-9.]+)$/, ',n/a');
    writeFileSync(csv, lines.join('\n'));
    const before = await snapshot(store);
    await assert.rejects(seedRegistry(store, dir), /results\.csv:4: field 'value': 'n\/a' is not a finite number/);
    assert.deepEqual(await snapshot(store), before);
  });

  test('a result naming an unknown dataset is rejected', async () => {
    const dir = registryCopy();
    copies.push(dir);
    const csv = join(dir, 'published', 'cats-scans', 'results.csv');
    writeFileSync(csv, readFileSync(csv, 'utf8').replaceAll('stl10-resnet50,isic,', 'stl10-resnet50,isic2,'));
    await assert.rejects(seedRegistry(store, dir), /results\.csv:\d+: field 'target': unknown dataset 'isic2'/);
  });
});
