import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type RunResult } from '../support/cli.js';
import { classFolder, encodeTar, imageBytes } from '../images/helpers/fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'ta-cli-ingest-'));
const inputs = mkdtempSync(join(tmpdir(), 'ta-cli-inputs-'));
const env = { ...process.env, TA_DATA_DIR: work, DATABASE_URL: '' };

function cli(...args: string[]) {
  return runCli(args, { env });
}

/** Files under the data folder other than the SQLite database; empty scratch folders are not files. */
function storedFiles(): string[] {
  return readdirSync(work, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory() && !e.name.startsWith('atlas.sqlite'))
    .map((e) => join(e.parentPath, e.name).slice(work.length + 1))
    .sort();
}

const BREAST_FILES = [
  'datasets/breastmnist/manifest.json',
  'datasets/breastmnist/pixels.u8',
  'datasets/breastmnist/profile.json',
];

async function assertRefused(r: RunResult, pattern: RegExp, id: string): Promise<void> {
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, pattern);
  assert.equal((await cli('datasets', 'show', id)).code, 2);
  assert.deepEqual(storedFiles(), BREAST_FILES);
}

before(async () => {
  await classFolder(join(inputs, 'corrupt'), { cyst: 5, tumour: 5 });
  writeFileSync(join(inputs, 'corrupt', 'tumour', 'cut.png'), (await imageBytes('png', 12, 12, 3, 77)).subarray(0, 50));
  await classFolder(join(inputs, 'single'), { only: 7 });
  const entries = [];
  for (let i = 0; i < 5; i++) {
    entries.push({ name: `set/a/${i}.png`, data: new Uint8Array(await imageBytes('png', 10, 10, 1, i + 1)) });
    entries.push({ name: `set/b/${i}.png`, data: new Uint8Array(await imageBytes('png', 10, 10, 1, i + 50)) });
  }
  entries.push({ name: 'set/../../../evil.png', data: new Uint8Array(await imageBytes('png', 10, 10, 1, 99)) });
  writeFileSync(join(inputs, 'evil.tar'), encodeTar(entries));
});
after(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(inputs, { recursive: true, force: true });
});

test('datasets add stores BreastMNIST (780 images, 2 classes), and datasets profile shows it', async () => {
  const r = await cli('datasets', 'add', '../shared/datasets/breastmnist_28.npz', '--name', 'BreastMNIST');
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^added breastmnist: 780 images, 2 classes, 1 channel\(s\), 28x28 originals stored at 224x224; split given \(train 546, val 78, test 156\)/,
  );
  assert.deepEqual(storedFiles(), BREAST_FILES);
  assert.equal(statSync(join(work, BREAST_FILES[1]!)).size, 780 * 224 * 224);

  const shown = JSON.parse((await cli('datasets', 'show', 'breastmnist', '--json')).stdout) as Record<string, unknown>;
  assert.deepEqual(
    [shown.images, shown.classes, shown.channels, shown.image_size, shown.origin, shown.licence, shown.record_origin],
    [780, 2, 1, '28x28', 'medical', 'unknown', 'ingested'],
  );

  const profile = JSON.parse((await cli('datasets', 'profile', 'breastmnist', '--json')).stdout) as {
    image_count: number;
    class_counts: Record<string, number>;
    bit_depths: Record<string, number>;
  };
  assert.deepEqual(
    [profile.image_count, profile.class_counts, profile.bit_depths],
    [780, { '0': 210, '1': 570 }, { '8': 780 }],
  );
  const table = await cli('datasets', 'profile', 'breastmnist');
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^780 images in 2 classes$/m);
  assert.match(table.stdout, /^0 +147 +21 +42 +210$/m);
  assert.match(table.stdout, /^1 +399 +57 +114 +570$/m);
  assert.match(table.stdout, /^bit depth +8 \(780\)$/m);
  assert.match(table.stdout, /^ +CROSS_SPLIT_DUPLICATES: /m);
});

test('adding the same id again exits 2 and leaves the stored dataset alone', async () => {
  const before = statSync(join(work, BREAST_FILES[1]!)).mtimeMs;
  const shown = (await cli('datasets', 'show', 'breastmnist', '--json')).stdout;
  const r = await cli('datasets', 'add', join(inputs, 'single'), '--name', 'BreastMNIST');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^transfer-atlas: dataset 'breastmnist' already exists; choose another id$/m);
  assert.equal((await cli('datasets', 'show', 'breastmnist', '--json')).stdout, shown);
  assert.equal(statSync(join(work, BREAST_FILES[1]!)).mtimeMs, before);
});

test('a corrupt image exits 2 naming the file and why, and stores nothing; --skip-bad leaves it out', async () => {
  await assertRefused(
    await cli('datasets', 'add', join(inputs, 'corrupt'), '--name', 'Corrupt scans'),
    /tumour\/cut\.png \(.+\)/,
    'corrupt-scans',
  );
  const r = await cli(
    'datasets',
    'add',
    join(inputs, 'corrupt'),
    '--name',
    'Corrupt scans',
    '--skip-bad',
    '--size',
    '16',
    '--json',
  );
  assert.equal(r.code, 0, r.stderr);
  const body = JSON.parse(r.stdout) as { dataset: { images: number }; profile: { skipped: { file: string }[] } };
  assert.equal(body.dataset.images, 10);
  assert.deepEqual(
    body.profile.skipped.map((s) => s.file),
    ['tumour/cut.png'],
  );
  assert.match((await cli('datasets', 'profile', 'corrupt-scans')).stdout, /^ +tumour\/cut\.png: /m);
});

test('one class, an archive climbing out with ../, a missing path and bad options exit 2 and store nothing', async () => {
  const files = () => storedFiles().filter((f) => !f.startsWith('datasets/corrupt-scans/'));
  const refuse = async (args: string[], pattern: RegExp, id: string) => {
    const r = await cli('datasets', 'add', ...args);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, pattern);
    assert.equal((await cli('datasets', 'show', id)).code, 2);
    assert.deepEqual(files(), BREAST_FILES);
  };
  await refuse([join(inputs, 'single'), '--name', 'Single'], /single: only one class \('only'\) found/, 'single');
  await refuse([join(inputs, 'evil.tar'), '--name', 'Evil'], /evil\.tar: .*set\/\.\.\/\.\.\/\.\.\/evil\.png/, 'evil');
  await refuse([join(inputs, 'nowhere'), '--name', 'Nowhere'], /nowhere does not exist/, 'nowhere');
  await refuse([join(inputs, 'single'), '--name', 'Bad id', '--id', 'Bad Id'], /id: lowercase letters/, 'bad-id');
  await refuse(
    [join(inputs, 'single'), '--name', 'Bad size', '--size', 'huge'],
    /'huge' is not a positive integer/,
    'bad-size',
  );
  await refuse([join(inputs, 'single'), '--name', 'Bad format', '--format', 'gif'], /gif/, 'bad-format');
  assert.equal(statSync(join(inputs, '..', 'evil.png'), { throwIfNoEntry: false }), undefined);
});

test('datasets profile of an unknown id exits 2', async () => {
  const r = await cli('datasets', 'profile', 'atlantis');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /atlantis/);
});
