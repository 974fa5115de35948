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
  scale: string;
  target_embedded: boolean;
  without_embedding: string[];
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
  // Embedded under the bundled probe, not the sources' published one: no Task2Vec distance to any source, and it says so.
  assert.equal(result.target_embedded, false);
  assert.ok(result.without_embedding.includes('imagenet'));

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
