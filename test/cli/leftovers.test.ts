import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sweepLeftovers, UNOWNED_AGE_MS } from '../../src/images/leftovers.js';

const cliArgs = ['--import', 'tsx', 'src/cli/main.ts'];

function exitedPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

test('the sweep removes what dead processes and old unnamed runs left, and nothing a live process is using', async (t) => {
  const data = mkdtempSync(join(tmpdir(), 'ta-sweep-'));
  t.after(() => rmSync(data, { recursive: true, force: true }));
  const dead = exitedPid();
  const make = (path: string) => {
    mkdirSync(join(data, path), { recursive: true });
    writeFileSync(join(data, path, 'x'), 'x');
  };
  make(`datasets/.staging-${dead}-abc`);
  make(`tmp/ingest-${dead}-abc`);
  writeFileSync(join(data, 'tmp', `upload-${dead}-uuid-a.zip`), 'x');
  make(`datasets/.staging-${process.pid}-live`);
  make('tmp/ingest-oldunowned');
  const old = (Date.now() - UNOWNED_AGE_MS - 60_000) / 1000;
  utimesSync(join(data, 'tmp/ingest-oldunowned'), old, old);
  make('tmp/ingest-newunowned');
  make('datasets/kept');
  const removed = await sweepLeftovers(data);
  assert.equal(removed.length, 4);
  assert.deepEqual(readdirSync(join(data, 'datasets')).sort(), [`.staging-${process.pid}-live`, 'kept']);
  assert.deepEqual(readdirSync(join(data, 'tmp')), ['ingest-newunowned']);
});

test('an ingestion killed midway leaves folders that migrate removes, and the retry needs no cleanup', async (t) => {
  const data = mkdtempSync(join(tmpdir(), 'ta-crash-'));
  t.after(() => rmSync(data, { recursive: true, force: true }));
  const env = { ...process.env, TA_DATA_DIR: data, DATABASE_URL: '' };
  const add = [
    'datasets',
    'add',
    'examples/breastmnist/breastmnist_28.npz',
    '--name',
    'Breast',
    '--id',
    'crashed',
    '--size',
    '64',
  ];
  const child = spawn(process.execPath, [...cliArgs, ...add], { env, stdio: 'ignore' });
  const staging = () =>
    existsSync(join(data, 'datasets'))
      ? readdirSync(join(data, 'datasets')).filter((n) => n.startsWith('.staging-'))
      : [];
  for (let i = 0; i < 600 && staging().length === 0 && child.exitCode === null; i++) await sleep(50);
  assert.equal(child.exitCode, null, 'the ingestion ended before it could be interrupted');
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  assert.ok(staging().length > 0, 'nothing was left to sweep');

  const migrate = spawnSync(process.execPath, [...cliArgs, 'migrate'], { env, encoding: 'utf8' });
  assert.equal(migrate.status, 0, migrate.stderr);
  assert.match(migrate.stdout, /removed \d+ folder/);
  assert.deepEqual(staging(), []);
  assert.deepEqual(existsSync(join(data, 'tmp')) ? readdirSync(join(data, 'tmp')) : [], []);

  const retry = spawnSync(process.execPath, [...cliArgs, ...add], { env, encoding: 'utf8' });
  assert.equal(retry.status, 0, retry.stderr);
  assert.deepEqual(readdirSync(join(data, 'datasets')), ['crashed']);
});
