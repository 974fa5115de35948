/**
 * The embedding workflow through the CLI, as a user runs it: add two small datasets, embed them
 * with the bundled probe, measure their distance, import an embedding, answer the questionnaire.
 * Small on purpose (60 images at 64 px, 60 Monte Carlo samples) so that it stays quick.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { encodeNpy, encodeNpyFloat32 } from '../../src/images/npy.js';

const work = mkdtempSync(join(tmpdir(), 'ta-embed-cli-'));
const env = { ...process.env, TA_DATA_DIR: work, DATABASE_URL: '' };
const SMALL = ['--max-images', '60', '--samples', '60', '--input-size', '64', '--batch-size', '20', '--epochs', '2'];

function cli(...args: string[]) {
  return runCli(args, { env });
}

async function ok(...args: string[]): Promise<string> {
  const r = await cli(...args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function refused(pattern: RegExp, ...args: string[]): Promise<string> {
  const r = await cli(...args);
  assert.equal(r.code, 2, `${args.join(' ')} should exit 2: ${r.stdout} ${r.stderr}`);
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('compute: '));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, pattern);
  return lines[0]!;
}

interface Embedding {
  id: number;
  dimension: number;
  image_count: number;
  seed: number;
  origin: string;
  probe: { id: string; input_size: number; weights: string };
}
interface Distance {
  value: number;
  probe: { id: string };
  embeddings: Record<string, number>;
}

before(async () => {
  await ok('seed');
  await ok(
    'datasets',
    'add',
    '../shared/datasets/breastmnist_28.npz',
    '--name',
    'BreastMNIST test',
    '--id',
    'breast-small',
    '--size',
    '28',
  );
  await ok(
    'datasets',
    'add',
    '../shared/datasets/pneumoniamnist_28.npz',
    '--name',
    'PneumoniaMNIST test',
    '--id',
    'pneumonia-small',
    '--size',
    '28',
  );
});
after(() => rmSync(work, { recursive: true, force: true }));

test('embed two added datasets with the bundled probe, then distance between them', async () => {
  const a = JSON.parse(await ok('embed', 'breast-small', ...SMALL, '--json')) as Embedding;
  assert.deepEqual(
    [a.image_count, a.seed, a.origin, a.probe.input_size, a.probe.weights],
    [60, 0, 'computed', 64, 'bundled'],
  );
  assert.ok(a.dimension > 1000);
  const b = JSON.parse(await ok('embed', 'pneumonia-small', ...SMALL, '--json')) as Embedding;
  assert.equal(b.probe.id, a.probe.id);

  const d = JSON.parse(await ok('distance', 'breast-small', 'pneumonia-small', '--json')) as Distance;
  assert.equal(d.probe.id, a.probe.id);
  assert.deepEqual(d.embeddings, { 'breast-small': a.id, 'pneumonia-small': b.id });
  assert.ok(d.value > 0 && d.value < 1, String(d.value));

  // The same dataset, probe, options and seed give the same embedding: the distance does not move.
  const again = JSON.parse(await ok('embed', 'breast-small', ...SMALL, '--json')) as Embedding;
  assert.notEqual(again.id, a.id);
  const d2 = JSON.parse(await ok('distance', 'breast-small', 'pneumonia-small', '--json')) as Distance;
  assert.equal(d2.embeddings['breast-small'], again.id);
  assert.equal(d2.value, d.value);

  const listed = JSON.parse(await ok('embeddings', 'list', 'breast-small', '--json')) as Embedding[];
  assert.deepEqual(
    listed.map((e) => e.id),
    [a.id, again.id],
  );
});

test('comparing with a dataset embedded only under another probe exits 2 naming both probes', async () => {
  const line = await refused(/no embedding under a common probe/, 'distance', 'breast-small', 'isic');
  assert.match(line, /mobilenet_v2_0\.35_224/);
  assert.match(line, /torchvision-resnet50-imagenet1k-v1/);
});

test('embed refuses a dataset without stored images, and bad options, in one line', async () => {
  await refused(/no stored images .*transfer-atlas datasets add/, 'embed', 'chest', '--samples', '10');
  await refused(/--samples/, 'embed', 'breast-small', '--samples', 'many');
  await refused(/no probe 'no-such-probe'/, 'embed', 'breast-small', '--probe', 'no-such-probe');
});

test('embeddings import: a float32 .npy under the published probe compares with the study', async () => {
  const file = join(work, 'resnet.npy');
  const h = new Float32Array(53120).map((_, i) => ((i * 7919) % 1000) * 1e-6);
  writeFileSync(file, encodeNpyFloat32(h, [1, h.length]));
  const args = [
    '--probe-id',
    'torchvision-resnet50-imagenet1k-v1',
    '--architecture',
    'resnet50',
    '--input-size',
    '224',
    '--pixel-scaling',
    'imagenet-mean-std',
  ];
  const imported = JSON.parse(
    await ok('embeddings', 'import', file, '--dataset', 'breast-small', ...args, '--json'),
  ) as Embedding;
  assert.deepEqual([imported.origin, imported.dimension, imported.probe.weights], ['imported', 53120, 'none']);
  assert.match(
    await ok('distance', 'breast-small', 'isic'),
    /^task2vec_cosine breast-small -> isic: \d\.\d{6} {2}\(probe torchvision-resnet50-imagenet1k-v1, 224 px, embeddings \d+ and \d+\)/,
  );
  // Both probes now serve breast-small and pneumonia-small is under the bundled one only: the bundled one is chosen.
  assert.equal(
    (JSON.parse(await ok('distance', 'breast-small', 'pneumonia-small', '--json')) as Distance).embeddings[
      'breast-small'
    ] !== imported.id,
    true,
  );

  const f64 = join(work, 'f64.npy');
  writeFileSync(
    f64,
    encodeNpy({ shape: [53120], data: { kind: 'numeric', dtype: 'f8', values: new Float64Array(53120) } }),
  );
  await refused(/float32/, 'embeddings', 'import', f64, '--dataset', 'breast-small', ...args);
  const short = join(work, 'short.npy');
  writeFileSync(short, encodeNpyFloat32(new Float32Array(100), [100]));
  await refused(/100 entries .* 53120/, 'embeddings', 'import', short, '--dataset', 'breast-small', ...args);
  await refused(
    /recorded as resnet50 at 224 px/,
    'embeddings',
    'import',
    file,
    '--dataset',
    'breast-small',
    ...args.slice(0, 4),
    '--input-size',
    '96',
    '--pixel-scaling',
    'imagenet-mean-std',
  );
});

test('probes: list shows the bundled probe; add registers a folder', async () => {
  assert.match(await ok('probes', 'list'), /mobilenet_v2_0\.35_224 .* bundled/);
  const added = await ok(
    'probes',
    'add',
    '../shared/weights/mobilenet_v1_1.0_224_imagenet_to_pw12',
    '--name',
    'mobilenet-v1-pw12',
    '--pixel-scaling',
    'minus1to1',
  );
  assert.match(added, /probe mobilenet-v1-pw12 \(224 px, minus1to1\) registered as [0-9a-f]{64}/);
  const probes = JSON.parse(await ok('probes', 'list', '--json')) as { name: string; weights: string }[];
  assert.equal(probes.find((p) => p.name === 'mobilenet-v1-pw12')?.weights, 'folder');
  await refused(/pixel scaling not given/, 'probes', 'add', '../shared/weights/mobilenet_v1_1.0_224_imagenet_to_pw12');
  await refused(
    /pixel scaling not given/,
    'embed',
    'breast-small',
    '--probe',
    '../shared/weights/mobilenet_v1_1.0_224_imagenet_to_pw12',
  );
  // Registered, the folder's probe is found by name and loaded with the description it was registered with.
  const e = JSON.parse(
    await ok('embed', 'breast-small', '--probe', 'mobilenet-v1-pw12', ...SMALL, '--epochs', '1', '--json'),
  ) as Embedding & { probe: { name: string } };
  assert.deepEqual(
    [e.probe.name, e.probe.weights, e.probe.input_size, e.image_count],
    ['mobilenet-v1-pw12', 'folder', 64, 60],
  );
});

test('experts: answer, show the vote, and the expert distance with its source', async () => {
  const answer = (observer: string, kind: string) =>
    ok(
      'experts',
      'answer',
      'breast-small',
      '--observer',
      observer,
      '--origin',
      'medical',
      '--colour',
      'grey',
      '--content',
      'textures',
      '--kind',
      kind,
      '--diversity',
      'low',
      '--classes',
      '2',
    );
  assert.match(await answer('ann', 'tissue'), /recorded ann's answers/);
  await answer('bob', 'organs-anatomy');
  assert.match(await answer('bob', 'tissue'), /replaced bob's answers/);
  const shown = JSON.parse(await ok('experts', 'show', 'breast-small', '--json')) as {
    source: string;
    observers: number;
    features: { kind: string };
  };
  assert.deepEqual([shown.source, shown.observers, shown.features.kind], ['observers', 2, 'tissue']);
  assert.match(
    await ok('experts', 'distance', 'isic', 'chest'),
    /expert distance isic - chest: \d of 6 \(published by /,
  );
  assert.match(
    await ok('experts', 'distance', 'breast-small', 'chest'),
    /computed from breast-small's observer vote and chest's registry features/,
  );
  const r = await cli(
    'experts',
    'answer',
    'breast-small',
    '--observer',
    'cy',
    '--origin',
    'martian',
    '--colour',
    'grey',
    '--content',
    'textures',
    '--kind',
    'tissue',
    '--diversity',
    'low',
    '--classes',
    '2',
  );
  assert.equal(r.code, 2);
});
