/**
 * Estimator scores through the CLI on real images (BreastMNIST, 60 at 64 px so that it stays
 * quick): the bundled probe has no classifier head, so LEEP and NCE are reported as not
 * computed, never filled in.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const work = mkdtempSync(join(tmpdir(), 'ta-estimators-cli-'));
const env = { ...process.env, TA_DATA_DIR: work, DATABASE_URL: '' };

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Shown {
  images: number;
  probe: string;
  scores: Record<string, number>;
  skipped: Record<string, string>;
  signals: {
    subject_kind: string;
    subject: string;
    target: string;
    signal: string;
    value: number;
    provenance: string;
  }[];
}

before(() => {
  assert.equal(
    cli(
      'datasets',
      'add',
      '../shared/datasets/breastmnist_28.npz',
      '--name',
      'BreastMNIST test',
      '--id',
      'breast-small',
      '--size',
      '28',
    ).code,
    0,
  );
});
after(() => rmSync(work, { recursive: true, force: true }));

test('estimators: LogME, H-score and kNN of the bundled probe on stored images, as backbone pair signals', () => {
  const run = (): Shown => {
    const r = cli('estimators', 'breast-small', '--max-images', '60', '--input-size', '64', '--json');
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Shown;
  };
  const shown = run();
  assert.equal(shown.images, 60);
  assert.deepEqual(Object.keys(shown.scores).sort(), ['hscore', 'knn', 'logme']);
  assert.ok(Number.isFinite(shown.scores.logme) && shown.scores.hscore! > 0);
  assert.ok(shown.scores.knn! >= 0 && shown.scores.knn! <= 1);
  assert.match(shown.skipped.leep!, /no source classifier head/);
  assert.deepEqual(
    shown.signals.map((s) => [s.subject_kind, s.subject, s.target, s.signal, s.provenance]),
    ['logme', 'hscore', 'knn'].map((name) => [
      'backbone',
      `probe:${shown.probe}`,
      'breast-small',
      name,
      'computed:estimators',
    ]),
  );
  // One forward pass of a fixed probe over the same stratified choice of images: the same scores.
  assert.deepEqual(run().scores, shown.scores);
});

test('estimators on a dataset the store does not hold exits 2', () => {
  const r = cli('estimators', 'chest');
  assert.equal(r.code, 2, r.stderr);
});
