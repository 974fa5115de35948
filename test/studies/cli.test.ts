import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { BACKBONE_YAML, RESULTS_CSV, SIGNALS_CSV, STUDY_YAML } from './fixture.js';

const work = mkdtempSync(join(tmpdir(), 'ta-cli-studies-'));
const env = { ...process.env, TA_DATA_DIR: work, DATABASE_URL: '' };
const cli = (...args: string[]) => runCli(args, { env });

function studyFolder(overrides: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(work, 'study-'));
  mkdirSync(join(dir, 'backbones'));
  for (const [path, content] of Object.entries({
    'study.yaml': STUDY_YAML,
    'results.csv': RESULTS_CSV,
    'signals.csv': SIGNALS_CSV,
    'backbones/tiny-chest-resnet18.yaml': BACKBONE_YAML,
    ...overrides,
  })) {
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

before(async () => {
  const seeded = await cli('seed');
  assert.equal(seeded.code, 0, seeded.stderr);
  assert.match(seeded.stdout, /study medmnist-transferability: created; backbones 23 created/);
});
after(() => rmSync(work, { recursive: true, force: true }));

test('seed a second time changes nothing', async () => {
  const r = await cli('seed');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /transfer results: 0 added, 280 unchanged/);
  assert.match(
    r.stdout,
    /study medmnist-transferability: unchanged; backbones 0 created, 0 updated, 23 unchanged; pair signals 0 added, 0 updated, 1936 unchanged/,
  );
});

test('studies list and show', async () => {
  const list = await cli('studies', 'list');
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^medmnist-transferability +2024 +auc +MIT +23 +12 +256 +0 +1936 /m);
  assert.match(list.stdout, /^cats-scans +2021 +auc-ovr-weighted /m);
  const show = await cli('studies', 'show', 'medmnist-transferability', '--json');
  assert.equal((JSON.parse(show.stdout) as { backbones: unknown[] }).backbones.length, 23);
  const unknown = await cli('studies', 'show', 'atlantis');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^transfer-atlas: no study with id 'atlantis'\n$/);
});

test('studies import refuses a bad folder in one line naming file, line and field, then imports a good one', async () => {
  const bad = await cli(
    'studies',
    'import',
    studyFolder({
      'results.csv': RESULTS_CSV.replace('0.9,', '0.9,').replace(
        'imagenet-resnet18,chest,1,0.9',
        'imagenet-resnet18,chest,1,1.9',
      ),
    }),
  );
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /^transfer-atlas: .*results\.csv:8: field 'value': 1\.9 is outside the metric's range \[0, 1\]\n$/,
  );
  assert.doesNotMatch((await cli('studies', 'list')).stdout, /tiny-study/);
  const good = await cli('studies', 'import', studyFolder());
  assert.equal(good.code, 0, good.stderr);
  assert.match(
    good.stdout,
    /study tiny-study: created\nbackbones: 1 created, 0 updated, 0 unchanged\nresults: 4 added, 0 unchanged\nsignals: 2 added/,
  );
});

test('signals import and list', async () => {
  const csv = join(work, 'signals.csv');
  writeFileSync(csv, 'backbone,target,signal,value\nimagenet-resnet18,octmnist,knn,0.8\n');
  const missing = await cli('signals', 'import', csv);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /signals\.csv:2: field 'provenance': required/);
  const ok = await cli('signals', 'import', csv, '--provenance', 'contributor:jdoe');
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /signals: 1 added, 0 updated, 0 unchanged/);
  const listed = await cli('signals', 'list', '--target', 'octmnist', '--signal', 'knn');
  assert.match(listed.stdout, /^knn +backbone +imagenet-resnet18 +0\.8000 +contributor:jdoe$/m);
  const bad = await cli('signals', 'list', '--target', 'atlantis');
  assert.equal(bad.code, 2);
});
