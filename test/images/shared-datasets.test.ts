import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ingestDataset, StoredDataset } from '../../src/images/index.js';
import { tempDir } from './helpers/fixtures.js';

const SHARED = '../shared/datasets';

interface Expected {
  path: string;
  count: number;
  classes: Record<string, number>;
  channels: 1 | 3;
  splits: Record<string, number>;
  splitSource: string;
}

const CIFAR = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const FASHION = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

const cases: Expected[] = [
  {
    path: 'breastmnist_28.npz',
    count: 780,
    classes: { '0': 210, '1': 570 },
    channels: 1,
    splits: { train: 546, val: 78, test: 156 },
    splitSource: 'given',
  },
  {
    path: 'pneumoniamnist_28.npz',
    count: 3166,
    classes: { '0': 1583, '1': 1583 },
    channels: 1,
    splits: { train: 2428, val: 270, test: 468 },
    splitSource: 'given',
  },
  {
    path: 'bccd_cells_balanced_32.npz',
    count: 1083,
    classes: { RBC: 361, WBC: 361, Platelets: 361 },
    channels: 3,
    splits: { unsplit: 1083 },
    splitSource: 'none',
  },
  {
    path: 'cifar10_test_100pc_32.npz',
    count: 1000,
    classes: Object.fromEntries(CIFAR.map((c) => [c, 100])),
    channels: 3,
    splits: { test: 1000 },
    splitSource: 'given',
  },
  {
    path: 'fashion_mnist_test_100pc_28.npz',
    count: 1000,
    classes: Object.fromEntries(FASHION.map((c) => [c, 100])),
    channels: 1,
    splits: { test: 1000 },
    splitSource: 'given',
  },
  {
    path: 'cifar10-jpeg-20pc',
    count: 200,
    classes: Object.fromEntries(CIFAR.map((c) => [c, 20])),
    channels: 3,
    splits: { unsplit: 200 },
    splitSource: 'none',
  },
];

for (const c of cases) {
  test(`shared dataset ${c.path} ingests with its counts and classes`, async (t) => {
    const staging = await tempDir(t);
    const result = await ingestDataset({ path: `${SHARED}/${c.path}`, size: 16 }, { stagingDir: staging });
    assert.equal(result.imageCount, c.count);
    assert.deepEqual(result.classCounts, c.classes);
    assert.deepEqual(result.classNames, Object.keys(c.classes));
    assert.equal(result.channels, c.channels);
    assert.deepEqual(result.splitCounts, c.splits);
    assert.equal(result.splitSource, c.splitSource);
    const stored = await StoredDataset.open(staging);
    t.after(() => stored.close());
    assert.equal(stored.manifest.count, c.count);
    const batch = await stored.readBatch([0, c.count - 1]);
    assert.deepEqual(batch.shape, [2, 16, 16, c.channels]);
  });
}

test('bccd is split by source image when a split is requested: no smear in two splits', async (t) => {
  const staging = await tempDir(t);
  const result = await ingestDataset(
    { path: `${SHARED}/bccd_cells_balanced_32.npz`, size: 8, split: { seed: 7 } },
    { stagingDir: staging },
  );
  assert.equal(result.splitSource, 'group');
  const stored = await StoredDataset.open(staging);
  t.after(() => stored.close());
  const { groups, splits } = stored.manifest;
  assert.ok(groups);
  const splitOfGroup = new Map<string, string | null>();
  groups.forEach((g, i) => {
    if (splitOfGroup.has(g)) assert.equal(splitOfGroup.get(g), splits[i], `group ${g} straddles splits`);
    splitOfGroup.set(g, splits[i]!);
  });
  for (const s of ['train', 'val', 'test'])
    assert.ok((result.splitCounts[s] ?? 0) > 100, `${s} has ${result.splitCounts[s]}`);
});

test('breastmnist duplicates across its official splits are reported', async (t) => {
  const staging = await tempDir(t);
  const result = await ingestDataset({ path: `${SHARED}/breastmnist_28.npz`, size: 28 }, { stagingDir: staging });
  assert.ok(result.profile.duplicates.groups > 0);
  assert.ok(result.profile.warnings.some((w) => w.code === 'CROSS_SPLIT_DUPLICATES'));
  assert.deepEqual(result.profile.sizes.top, [{ width: 28, height: 28, count: 780 }]);
});

test('stored pixels are the npz pixels when the working size equals the original', async (t) => {
  const staging = await tempDir(t);
  await ingestDataset({ path: `${SHARED}/cifar10_test_100pc_32.npz`, size: 32 }, { stagingDir: staging });
  const stored = await StoredDataset.open(staging);
  t.after(() => stored.close());
  const { images } = await stored.readBatch([0]);
  // First pixel of test_images[0], as printed by numpy.
  assert.deepEqual(Array.from(images.subarray(0, 3)), [249, 251, 246]);
});
