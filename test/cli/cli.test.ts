import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'ta-cli-'));
const env = { ...process.env, TA_DATA_DIR: work, DATABASE_URL: '' };

function cli(...args: string[]) {
  return cliWith({}, ...args);
}

function cliWith(extraEnv: Record<string, string>, ...args: string[]) {
  return runCli(args, { env: { ...env, ...extraEnv } });
}

before(async () => {
  const seeded = await cli('seed');
  assert.equal(seeded.code, 0, seeded.stderr);
});
after(() => rmSync(work, { recursive: true, force: true }));

test('datasets list shows every registry dataset', async () => {
  const ids = readdirSync('datasets-registry/datasets').map((f) => f.replace(/\.yaml$/, ''));
  const r = await cli('datasets', 'list', '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((JSON.parse(r.stdout) as { id: string }[]).map((d) => d.id).sort(), ids.sort());
  const table = await cli('datasets', 'list');
  for (const id of ids) assert.match(table.stdout, new RegExp(`^${id} `, 'm'));
});

test('results list --target isic shows the eight ISIC experiments with five folds', async () => {
  const r = await cli('results', 'list', '--target', 'isic');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /fold 1 +fold 2 +fold 3 +fold 4 +fold 5 +mean/);
  assert.equal(lines.length, 2 + 8);
  assert.match(r.stdout, /^isic +imagenet +resnet50 +0\.9474 +0\.9514 +0\.9487 +0\.9418 +0\.9423/m);
});

test('seed twice reports everything unchanged', async () => {
  const r = await cli('seed', '--json');
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as {
    datasets: { created: string[]; updated: string[] };
    results: { added: number };
  };
  assert.deepEqual(
    [summary.datasets.created.length, summary.datasets.updated.length, summary.results.added],
    [0, 0, 0],
  );
});

test('an unknown dataset id exits 2 with one line', async () => {
  const r = await cli('datasets', 'show', 'atlantis');
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /atlantis/);
  const filtered = await cli('results', 'list', '--target', 'atlantis');
  assert.equal(filtered.code, 2);
  assert.match(filtered.stderr, /atlantis/);
});

test('bad arguments exit 2 with one line', async () => {
  for (const args of [['datasets', 'list', '--origin', 'alien'], ['frobnicate'], ['serve', '--port', 'eighty']]) {
    const r = await cli(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('a malformed registry file exits 2 naming the file and field, and stores nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ta-bad-registry-'));
  cpSync('datasets-registry', dir, { recursive: true });
  const file = join(dir, 'datasets', 'isic.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^origin: .*$/m, 'origin: martian'));
  const r = await cli('seed', '--registry', dir);
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /isic\.yaml: field 'origin'/);
  const show = await cli('datasets', 'show', 'isic', '--json');
  assert.equal((JSON.parse(show.stdout) as { origin: string }).origin, 'medical');
});

test('forcing a tensor backend that is not installed fails with one line', async () => {
  const r = await cliWith({ TA_BACKEND: 'gpu' }, 'serve', '--port', '0');
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /TA_BACKEND=gpu cannot be used: @tensorflow\/tfjs-node-gpu is not installed/);
});

test('a bad DATABASE_URL or upload limit exits 2 naming the variable; an unreachable database exits 1 naming it', async () => {
  const mysql = await cliWith({ DATABASE_URL: 'mysql://root@127.0.0.1/test' }, 'datasets', 'list');
  assert.equal(mysql.code, 2);
  assert.match(mysql.stderr, /^transfer-atlas: DATABASE_URL must be a postgres:\/\/ URL/);
  const limit = await cliWith({ TA_MAX_UPLOAD_BYTES: 'lots' }, 'serve', '--port', '0');
  assert.equal(limit.code, 2);
  assert.match(limit.stderr, /TA_MAX_UPLOAD_BYTES must be a positive whole number/);
  const down = await cliWith({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, 'datasets', 'list');
  assert.equal(down.code, 1);
  assert.equal(down.stderr.trim().split('\n').length, 1, down.stderr);
  assert.match(down.stderr, /^transfer-atlas: cannot open the store postgres:\/\/127\.0\.0\.1:1\/none: /);
});

test('a data folder that cannot be made exits 2 with one line naming it, for a command and for serve', async () => {
  // /proc refuses new entries; this once left the CLI waiting forever.
  for (const args of [
    ['datasets', 'list'],
    ['serve', '--port', '0'],
  ]) {
    const r = await cliWith({ TA_DATA_DIR: '/proc/x' }, ...args);
    assert.equal(r.code, 2, r.stderr);
    // serve names its tensor backend first, as it always does; the refusal is the one line after it.
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.filter((l) => l.startsWith('transfer-atlas:')).length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
    assert.match(lines.at(-1)!, /^transfer-atlas: cannot create the data folder \/proc\/x \(\w+\); set TA_DATA_DIR/);
  }
});
