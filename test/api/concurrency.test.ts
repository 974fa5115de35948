import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEachStore } from '../support/stores.js';
import { seededApp } from '../support/seeded-app.js';
import { bearer, mintToken } from '../support/tokens.js';
import { AppError } from '../../src/errors.js';
import { ingestIntoStore } from '../../src/services/index.js';
import type { components } from '../../src/api/schema.js';
import { datasetRegistration } from '../support/bodies.js';

type Result = components['schemas']['TransferResult'];

const BREAST = 'examples/breastmnist/breastmnist_28.npz';
const folds = (...values: number[]) => values.map((value, i) => ({ fold: i + 1, value }));
const result = (target: string, values: number[]) => ({
  source: 'kimia',
  target,
  architecture: 'resnet50',
  protocol: { folds: values.length, metric: 'auc-ovr-weighted' },
  folds: folds(...values),
  provenance: {},
});
const dataset = (id: string) => datasetRegistration(id, `Raced ${id}`, 'Registered by many at once.');

/** Case 8 of issue 13: writes racing each other get the answers a single writer would, never a 500. */
describeEachStore('api concurrent writes', (kind) => {
  const env = seededApp(kind);
  const headers: Record<string, string> = {};
  let dataDir: string;

  before(async () => {
    Object.assign(headers, bearer(await mintToken(env.store, `racer-${kind.name}`, 'contribute')));
    dataDir = await mkdtemp(join(tmpdir(), 'ta-concurrency-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  const post = (path: string, body: unknown, extra: Record<string, string> = {}) =>
    fetch(`${env.app.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers, ...extra },
      body: JSON.stringify(body),
    });
  const storedFor = async (target: string) =>
    ((await (await fetch(`${env.app.url}/v1/results?target=${target}&source=kimia`)).json()) as { items: Result[] })
      .items;

  test('20 parallel posts with one Idempotency-Key all get the first answer, and one result is stored', async () => {
    const body = result('chest', [0.61, 0.62, 0.63, 0.64, 0.65]);
    const key = `race-${kind.name}`;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => post('/v1/results', body, { 'idempotency-key': key })),
    );
    const statuses = answers.map((r) => r.status);
    assert.deepEqual(statuses, Array(20).fill(201), JSON.stringify(statuses));
    const bodies = await Promise.all(answers.map((r) => r.json() as Promise<Result>));
    assert.equal(new Set(bodies.map((b) => JSON.stringify(b))).size, 1);
    assert.equal(answers.filter((r) => r.headers.get('idempotent-replayed') === 'true').length, 19);
    assert.deepEqual(
      (await storedFor('chest')).map((r) => r.id),
      [bodies[0]!.id],
    );
    // The same key on another body, raced too, is a conflict for every one of them.
    const other = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        post('/v1/results', result('chest', [0.7, 0.7, 0.7, 0.7, 0.6 + i / 100]), { 'idempotency-key': key }),
      ),
    );
    assert.deepEqual(
      other.map((r) => r.status),
      Array(5).fill(409),
    );
  });

  test('a first-time contributor posting in parallel gets every result stored', async () => {
    const newcomer = bearer(await mintToken(env.store, `newcomer-${kind.name}`, 'contribute'));
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => post('/v1/results', result('isic', [0.5, 0.5, 0.5 + i / 100]), newcomer)),
    );
    assert.deepEqual(
      answers.map((r) => r.status),
      Array(10).fill(201),
    );
    const mine = (await storedFor('isic')).filter((r) => r.contributor === `newcomer-${kind.name}`);
    assert.equal(mine.length, 10);
  });

  test('parallel registrations of one dataset id: one 201, the others 409', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => post('/v1/datasets', dataset('raced-reg'))));
    assert.deepEqual(answers.map((r) => r.status).sort(), [201, ...Array(9).fill(409)]);
  });

  test('parallel ingestions of one id: one stores it, the others are refused as conflicts and leave nothing', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 3 }, () =>
        ingestIntoStore(
          env.store,
          { path: BREAST, field: 'path', metadata: { name: 'Raced ingest' }, options: { size: 16 } },
          dataDir,
        ),
      ),
    );
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    for (const o of outcomes)
      if (o.status === 'rejected')
        assert.ok(o.reason instanceof AppError && o.reason.code === 'conflict', String(o.reason));
    assert.deepEqual(await readdir(join(dataDir, 'datasets')), ['raced-ingest']);
  });
});
