import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../src/errors.js';
import { hammingDistance } from '../../src/experts/index.js';
import { currentRanker, refitRanker, seedRegistry } from '../../src/services/index.js';
import { EXPERT_SIGNAL_NAME, loadStoreEvidence, task2vecSignalName } from '../../src/services/ranker.js';
import { firstPreferred, preferredProbes } from '../../src/services/default-probe.js';
import { EXPERT_SIGNAL, loadSignals, parseProxy, task2vecSignal } from '../../src/services/signals.js';
import {
  ensureProbe,
  getDataset,
  insertEmbedding,
  listEmbeddings,
  listRankers,
  openStore,
  type Store,
} from '../../src/store/index.js';

const PROBE = 'torchvision-resnet50-imagenet1k-v1';
let store: Store;

before(async () => {
  store = await openStore({ client: 'sqlite', filename: ':memory:' });
  await seedRegistry(store, 'datasets-registry');
});
after(() => store.close());

function distanceOf(
  distances: readonly { signal: string; source: string; target: string; value: number }[],
  signal: string,
  a: string,
  b: string,
): number | undefined {
  return distances.find(
    (d) => d.signal === signal && ((d.source === a && d.target === b) || (d.source === b && d.target === a)),
  )?.value;
}

test('expert distance: the published figure where there is one, else the Hamming distance of the registry features', async () => {
  const { distances } = await loadSignals(store);
  // The study published 3 for chest-kimia although no set of answers reproduces it; the figure wins.
  assert.equal(distanceOf(distances, EXPERT_SIGNAL, 'chest', 'kimia'), 3);
  const breast = (await getDataset(store.knex, 'breastmnist'))!;
  const imagenet = (await getDataset(store.knex, 'imagenet'))!;
  assert.ok(breast.expert_features && imagenet.expert_features);
  assert.equal(
    distanceOf(distances, EXPERT_SIGNAL, 'breastmnist', 'imagenet'),
    hammingDistance(breast.expert_features, imagenet.expert_features),
  );
});

test('embedding signals per probe, symmetric, over the datasets embedded with it', async () => {
  const { distances, probes } = await loadSignals(store);
  // The registry ships the study's ResNet-50 embeddings (8 datasets) and bundled-probe ones of 5 sources (ImageNet among
  // them) and of the measured MedMNIST targets BreastMNIST and PneumoniaMNIST.
  assert.deepEqual(
    probes.map((p) => [p.id, p.datasets.length]).sort(),
    [
      [PROBE, 8],
      ['42474bfb99aa9854e07659e7157f3df2781dd9c1d281bb04e4499babbfb67d44', 7],
    ].sort(),
  );
  const t2v = distances.filter((d) => d.signal === task2vecSignal(PROBE));
  assert.equal(t2v.length, (8 * 9) / 2);
  assert.equal(distanceOf(distances, task2vecSignal(PROBE), 'imagenet', 'isic'), undefined);
  for (const d of t2v) {
    if (d.source === d.target) assert.equal(d.value, 0);
    else assert.ok(d.value > 0 && d.value < 1, `${d.source}-${d.target}`);
  }
});

test('the default probe is the configured one, else the published one, never the most used', async () => {
  // Both probes of the registry's published embeddings, never one that contributions brought.
  assert.deepEqual(
    [...(await preferredProbes(store, {}))].sort(),
    [PROBE, '42474bfb99aa9854e07659e7157f3df2781dd9c1d281bb04e4499babbfb67d44'].sort(),
  );
  assert.equal(firstPreferred(['configured', 'published', 'bundled'], ['other', 'bundled', 'published']), 'published');
  assert.equal(firstPreferred(['configured'], ['other']), null);
  await assert.rejects(
    preferredProbes(store, { TA_DEFAULT_PROBE: 'nope' }),
    (err: unknown) => err instanceof AppError && err.field === 'TA_DEFAULT_PROBE',
  );
});

test('proxy mappings parse from repeated or comma-separated flags, and refuse nonsense', () => {
  assert.deepEqual(parseProxy(['imagenet=stl10', 'a=b,c=d']), { imagenet: 'stl10', a: 'b', c: 'd' });
  assert.deepEqual(parseProxy([]), {});
  for (const bad of ['imagenet', 'imagenet=imagenet', 'ImageNet=stl10', '=stl10']) {
    assert.throws(
      () => parseProxy([bad]),
      (err: unknown) => err instanceof AppError && err.fields[0]?.field === 'proxy',
      bad,
    );
  }
});

test('a newer embedding supersedes the stored one, and the refit fits again on the changed evidence; reads never fit', async () => {
  const first = await refitRanker(store);
  assert.equal(first.refitted, true);
  assert.equal((await refitRanker(store)).refitted, false);
  assert.equal((await currentRanker(store)).version, first.version);

  const chest = (await listEmbeddings(store.knex, { datasetId: 'chest', probeId: PROBE }))[0]!;
  const before = distanceOf((await loadSignals(store)).distances, task2vecSignal(PROBE), 'chest', 'isic');
  const changed = chest.hessian.map((v, i) => (i % 2 === 0 ? v * 3 : v));
  await insertEmbedding(store.knex, {
    datasetId: 'chest',
    probeId: PROBE,
    method: 'montecarlo',
    hessian: changed,
    options: {},
    // A registry dataset's published embedding gives way only to a newer published one (a registry update).
    origin: 'published',
  });
  const after = distanceOf((await loadSignals(store)).distances, task2vecSignal(PROBE), 'chest', 'isic');
  assert.notEqual(after, before);

  // A read after the change still answers from the stored model.
  const read = await currentRanker(store);
  assert.equal(read.refitted, false);
  assert.equal(read.version, first.version);
  const refit = await refitRanker(store);
  assert.equal(refit.refitted, true);
  assert.notEqual(refit.version, first.version);
  assert.deepEqual((await listRankers(store.knex)).map((r) => r.version).sort(), [first.version, refit.version].sort());
});

test('a second probe with fewer embeddings does not displace the default probe', async () => {
  await ensureProbe(store.knex, {
    id: 'tiny-probe',
    name: 'tiny',
    architecture: 'test',
    input_size: 32,
    pixel_scaling: 'zero1',
  });
  for (const [dataset, scale] of [
    ['chest', 1],
    ['isic', 2],
  ] as const) {
    await insertEmbedding(store.knex, {
      datasetId: dataset,
      probeId: 'tiny-probe',
      method: 'montecarlo',
      hessian: new Float32Array([1, 2, 3, 4].map((v) => v * scale + (dataset === 'isic' ? v % 2 : 0))),
      options: {},
      origin: 'computed',
    });
  }
  const evidence = await loadStoreEvidence(store);
  assert.equal(evidence.probe, PROBE);
  const names = new Set(evidence.evidence.signals.map((s) => s.signal));
  assert.ok(names.has(task2vecSignalName(PROBE)));
  assert.ok(names.has(EXPERT_SIGNAL_NAME));
  assert.ok(![...names].some((n) => n.includes('tiny-probe')));
});
