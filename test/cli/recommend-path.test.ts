import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { chestFolder } from '../support/mixed-chest.js';

const work = mkdtempSync(join(tmpdir(), 'ta-recommend-'));
const env = { ...process.env, TA_DATA_DIR: work, DATABASE_URL: '' };
after(() => rmSync(work, { recursive: true, force: true }));

function cli(...args: string[]) {
  return runCli(args, { env });
}

interface Recommendation {
  target: string;
  target_traits: {
    colour: string;
    classes: number;
    images: number;
    modality: string | null;
    expert_features: { source: string; features: Record<string, string>; missing: string[] };
    left_out: string[];
  };
  scale: string;
  target_embedded: boolean;
  without_embedding: string[];
  source_distances: { probe: string; items: { source: string; distance: number }[] } | null;
  estimator_scores: { backbone: string; signal: string; value: number }[];
  similarity: {
    probe: string;
    compared: number;
    nearest: { target: string; distance: number }[];
    summary: string;
  } | null;
  items: {
    rank: number;
    backbone: string;
    predicted: { mean: number; interval80: number[]; interval90: number[] };
    reason: string;
  }[];
}

test('recommend on a path ingests and embeds the bundled example once, then ranks backbones with intervals', async () => {
  assert.equal((await cli('seed')).code, 0);
  const args = [
    'recommend',
    'examples/breastmnist/breastmnist_28.npz',
    '--samples',
    '40',
    '--max-images',
    '40',
    '--json',
  ];
  const first = await cli(...args);
  assert.equal(first.code, 0, first.stderr);
  assert.match(
    first.stderr,
    /dataset 'breastmnist-28-[0-9a-f]{8}' \(ingested, embedded; embedding \d+ under probe mobilenet_v2_0\.35_224\)/,
  );
  const result = JSON.parse(first.stdout) as Recommendation;
  assert.match(result.target, /^breastmnist-28-[0-9a-f]{8}$/);
  assert.ok(result.items.length >= 8);
  assert.deepEqual(
    result.items.map((i) => i.rank),
    result.items.map((_, k) => k + 1),
  );
  assert.equal(result.scale, 'z-within-group');
  for (const item of result.items) {
    const [low, high] = item.predicted.interval90 as [number, number];
    assert.ok(
      low < item.predicted.interval80[0]! && item.predicted.interval80[1]! < high,
      `${item.backbone}: 80% inside 90%`,
    );
    assert.ok(
      item.predicted.interval80[0]! < item.predicted.mean && item.predicted.mean < item.predicted.interval80[1]!,
      `${item.backbone}: interval around the mean`,
    );
    assert.ok(item.reason.length > 0);
  }
  // Embedded under the bundled probe, not the sources' published one; its distances to the sources shipped under the
  // bundled probe are shown, and the sources without one (PCam, KimiaPath960, STI-10, ...) are named.
  assert.equal(result.target_embedded, false);
  assert.ok(result.source_distances !== null, 'source distances shown');
  assert.deepEqual(
    ['chest', 'imagenet', 'isic', 'stl10', 'textures'].filter(
      (s) => !result.source_distances!.items.some((d) => d.source === s && d.distance > 0),
    ),
    [],
  );
  for (const s of ['pcam-middle', 'kimia', 'sti10']) assert.ok(result.without_embedding.includes(s), s);
  assert.ok(!result.without_embedding.includes('imagenet'));
  // The service's own estimator scores of the bundled probe's features on the target.
  assert.deepEqual(result.estimator_scores.map((e) => e.signal).sort(), ['hscore', 'knn', 'logme']);
  // Its bundled-probe embedding is compared with every measured target that has one (cats-scans' chest and isic at least).
  assert.ok(result.similarity !== null && result.similarity.compared >= 2, JSON.stringify(result.similarity));
  assert.match(result.similarity.probe, /^[0-9a-f]{64}$/);
  assert.ok(result.similarity.nearest.length >= 2 && result.similarity.summary.length > 0);
  // Traits from the data, expert features derived from them, and what the missing modality leaves out.
  const traits = result.target_traits;
  assert.deepEqual([traits.colour, traits.classes, traits.images], ['grey', 2, 780]);
  assert.equal(traits.modality, null);
  assert.deepEqual(traits.expert_features, {
    source: 'derived',
    features: { colour: 'grey', classes: '2' },
    missing: ['origin', 'content', 'kind', 'diversity'],
  });
  assert.ok(
    traits.left_out.some((l) => l.startsWith('modality: not given')),
    traits.left_out.join('\n'),
  );
  assert.ok(traits.left_out.some((l) => l.startsWith('expert distance: origin, content, kind, diversity unknown')));
  assert.match(first.stderr, /origin not given \(--origin natural or medical\), recorded as medical/);

  const again = await cli(...args);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /\(already stored, embedding reused;/);
  assert.equal((JSON.parse(again.stdout) as Recommendation).target, result.target);
});

test('recommend on a path that holds no images exits 2 with one line', async () => {
  const r = await cli('recommend', 'README.md');
  assert.equal(r.code, 2, r.stderr);
  assert.deepEqual(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^transfer-atlas: README\.md is not a supported dataset/);
});

test('recommend alone takes a grey X-ray folder with a few RGB JPEGs: stored grey with a warning, the modality given', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ta-mixed-'));
  try {
    await chestFolder(root, 12, 2);
    const args = ['recommend', root, '--id', 'mixed-chest', '--modality', 'x-ray', '--samples', '40', '--json'];
    const r = await cli(...args, '--max-images', '20');
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as Recommendation;
    assert.equal(result.target, 'mixed-chest');
    assert.equal(result.target_traits.colour, 'grey');
    assert.equal(result.target_traits.modality, 'x-ray');
    assert.ok(!result.target_traits.left_out.some((l) => l.startsWith('modality')));
    const profile = JSON.parse((await cli('datasets', 'profile', 'mixed-chest', '--json')).stdout) as {
      channels: Record<string, number>;
      normalised: { channels: number; channels_choice: string };
      warnings: { code: string; message: string }[];
    };
    assert.deepEqual(profile.channels, { '1': 24, '3': 2 });
    assert.deepEqual([profile.normalised.channels, profile.normalised.channels_choice], [1, 'majority']);
    assert.ok(
      profile.warnings.some((w) => w.code === 'CONVERTED_CHANNELS' && /--channels 3 to keep colour/.test(w.message)),
    );

    // A chosen id is not assumed to hold the same data again.
    const again = await cli(...args);
    assert.equal(again.code, 2, again.stderr);
    assert.match(
      again.stderr,
      /^transfer-atlas: dataset 'mixed-chest' already exists; rank it with transfer-atlas recommend mixed-chest, or choose another --id$/m,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('recommend on an even grey and colour mix exits 2 with one line naming --channels', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ta-mixed-'));
  try {
    await chestFolder(root, 5, 6);
    const r = await cli('recommend', root);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(
      r.stderr,
      /10 greyscale and 6 colour images, .* and 3 more\); give --channels 1 \(greyscale\) or --channels 3 \(colour\) to convert them all$/m,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
