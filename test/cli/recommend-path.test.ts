import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'ta-recommend-'));
const env = { ...process.env, TA_DATA_DIR: work, DATABASE_URL: '' };
after(() => rmSync(work, { recursive: true, force: true }));

function cli(...args: string[]) {
  return runCli(args, { env });
}

interface Recommendation {
  target: string;
  embedding: { available: boolean; message?: string };
  items: { rank: number; source: string; predicted: { mean: number; interval90: number[] } }[];
}

test('recommend on a path ingests and embeds the bundled example once, then ranks sources with intervals', async () => {
  assert.equal((await cli('seed')).code, 0);
  const args = ['recommend', 'examples/breastmnist/breastmnist_28.npz', '--samples', '40', '--max-images', '40', '--json'];
  const first = await cli(...args);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /dataset 'breastmnist-28-[0-9a-f]{8}' \(ingested, embedded; embedding \d+ under probe mobilenet_v2_0\.35_224\)/);
  const result = JSON.parse(first.stdout) as Recommendation;
  assert.match(result.target, /^breastmnist-28-[0-9a-f]{8}$/);
  assert.ok(result.items.length >= 8);
  assert.deepEqual(result.items.map((i) => i.rank), result.items.map((_, k) => k + 1));
  for (const item of result.items) {
    const [low, high] = item.predicted.interval90 as [number, number];
    assert.ok(low < item.predicted.mean && item.predicted.mean < high, `${item.source}: interval around the mean`);
  }
  assert.match(result.embedding.message ?? '', /weights this service does not hold/);

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
