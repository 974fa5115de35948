/**
 * SIGKILL of a real `transfer-atlas serve` on a private PostgreSQL, mid-import (results through the API) and
 * mid-ingestion (a dataset upload): after a restart nothing half-written is visible, nothing is left on disk, and
 * a retry (with the same Idempotency-Key for results) leaves exactly one stored effect.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  dataFolder,
  filesUnder,
  freePort,
  leftovers,
  PrivatePostgres,
  privatePostgresProblem,
  Server,
} from './support.js';

const problem = privatePostgresProblem();
if (problem) console.warn(`\n!!! ${problem}: the fault tests cannot start a private PostgreSQL and are skipped.\n`);

const BREAST = resolve('examples/breastmnist/breastmnist_28.npz');

interface Result {
  id: string;
  contributor: string;
  folds: { fold: number; value: number }[];
}

/** Batch k: three results of one made-up contributor, so that what is stored of it can be counted. */
function batch(k: number) {
  const result = (source: string, value: number) => ({
    source,
    target: 'isic',
    architecture: 'resnet50',
    protocol: { folds: 2, metric: 'auc-ovr-weighted' },
    folds: [
      { fold: 1, value },
      { fold: 2, value: value + 0.001 },
    ],
    provenance: { contributor: `crash-${k}` },
  });
  return {
    results: [result('kimia', 0.5 + k / 1000), result('chest', 0.6 + k / 1000), result('pcam-small', 0.7 + k / 1000)],
  };
}

const postBatch = (url: string, k: number) =>
  fetch(`${url}/v1/results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': `crash-key-${k}` },
    body: JSON.stringify(batch(k)),
  });

async function storedPerBatch(url: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let page = 1; ; page++) {
    const res = await fetch(`${url}/v1/results?target=isic&page_size=200&page=${page}`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { items: Result[] };
    for (const r of body.items)
      if (r.contributor.startsWith('crash-')) counts.set(r.contributor, (counts.get(r.contributor) ?? 0) + 1);
    if (body.items.length < 200) return counts;
  }
}

// Each server lives until its test kills it; the default lifetime of a test process is shorter than a
// restart plus a re-run ingestion takes on a busy machine, and a server killed by its own timer looks
// to the test like a connection reset.
const SERVER_LIFETIME_MS = 10 * 60_000;

describe('SIGKILL of the server on PostgreSQL', { skip: problem !== undefined }, () => {
  let pg: PrivatePostgres;
  let data: string;
  let env: NodeJS.ProcessEnv;
  const servers: Server[] = [];
  // A schema (and so a job queue) per test: the ranker evaluation that `--seed` queues for the import test
  // runs for minutes and would hold the ingestion test's upload behind it in a shared queue.
  const serve = async (schema: string, args: string[] = []) => {
    const server = new Server(await freePort(), { ...env, DATABASE_SCHEMA: schema }, args, SERVER_LIFETIME_MS);
    servers.push(server);
    await server.ready();
    return server;
  };

  before(async () => {
    pg = await PrivatePostgres.create();
    data = dataFolder();
    env = { DATABASE_URL: pg.url, TA_DATA_DIR: data, TA_JOB_STALE_SECONDS: '5', TA_JOB_HEARTBEAT_SECONDS: '1' };
  });
  after(async () => {
    for (const s of servers) await s.kill();
    pg?.destroySync();
    if (data) rmSync(data, { recursive: true, force: true });
  });

  test('mid-import: every batch is stored whole or not at all, and its retry stores it once', async () => {
    const first = await serve('mid_import', ['--seed']);
    const batches = Array.from({ length: 40 }, (_, k) => k);
    // Each request's fate is recorded; the kill lands while most of them are still in flight.
    const answered = new Map<number, number>();
    const inFlight = batches.map((k) =>
      postBatch(first.url, k).then(
        (res) => answered.set(k, res.status),
        () => undefined,
      ),
    );
    while (answered.size === 0) await sleep(5);
    await first.kill();
    await Promise.all(inFlight);
    assert.ok(answered.size < batches.length, 'every request finished before the kill: nothing was interrupted');

    const second = await serve('mid_import');
    const stored = await storedPerBatch(second.url);
    for (const [contributor, n] of stored) assert.equal(n, 3, `${contributor}: ${n} of 3 results stored`);
    for (const [k, status] of answered)
      if (status === 201) assert.equal(stored.get(`crash-${k}`), 3, `batch ${k} was acknowledged but is not stored`);

    // The retry of every batch answers as the first success did, and stores nothing twice.
    for (const k of batches) {
      const retry = await postBatch(second.url, k);
      const retried = await retry.text();
      assert.equal(retry.status, 201, `batch ${k}: ${retried}`);
      const again = await postBatch(second.url, k);
      assert.equal(again.status, 201);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(await again.json(), JSON.parse(retried));
    }
    const after = await storedPerBatch(second.url);
    assert.equal(after.size, batches.length);
    for (const [contributor, n] of after) assert.equal(n, 3, `${contributor}: ${n} results after the retries`);
    await second.kill();
  });

  test('mid-ingestion: nothing half-written is visible or left on disk, and the interrupted job ends once', async () => {
    const server = await serve('mid_ingestion');
    const upload = (url: string) => {
      const form = new FormData();
      form.append('file', new Blob([readFileSync(BREAST)]), 'breastmnist_28.npz');
      form.append('name', 'Crashed breast ultrasound');
      form.append('id', 'crashed');
      form.append('size', '96');
      return fetch(`${url}/v1/datasets/uploads`, { method: 'POST', body: form });
    };
    const accepted = await upload(server.url);
    assert.equal(accepted.status, 202, await accepted.clone().text());
    const job = accepted.headers.get('location')!;
    // Killed once the ingestion has started writing its staging folder.
    const deadline = Date.now() + 60_000;
    while (!leftovers(data).some((p) => p.includes('.staging-'))) {
      assert.ok(Date.now() < deadline, `the ingestion never started writing:\n${server.output()}`);
      await sleep(20);
    }
    await server.kill();
    assert.ok(leftovers(data).length > 0);

    const restarted = await serve('mid_ingestion');
    // The staging folder and scratch files are gone; the upload itself stays in uploads/ as the queued job's input.
    assert.deepEqual(leftovers(data), [], 'the start-up sweep left these');
    // The interrupted job is taken up again once its heartbeat is stale; meanwhile the dataset is absent or whole.
    const until = Date.now() + 180_000;
    let state = '';
    while (state !== 'succeeded' && state !== 'failed') {
      assert.ok(Date.now() < until, `the interrupted job did not end:\n${restarted.output()}`);
      const visible = await fetch(`${restarted.url}/v1/datasets/crashed`);
      if (visible.status === 200) {
        assert.equal(((await visible.json()) as { images: number }).images, 780);
        assert.equal((await fetch(`${restarted.url}/v1/datasets/crashed/profile`)).status, 200);
      } else assert.equal(visible.status, 404);
      state = ((await (await fetch(`${restarted.url}${job}`)).json()) as { state: string }).state;
      // Three requests a look, kept well under the per-address rate limit however long the job takes.
      await sleep(250);
    }
    assert.equal(state, 'succeeded');
    const dataset = (await (await fetch(`${restarted.url}/v1/datasets/crashed`)).json()) as { images: number };
    assert.equal(dataset.images, 780);
    assert.deepEqual(filesUnder(data), [
      'datasets/crashed/manifest.json',
      'datasets/crashed/pixels.u8',
      'datasets/crashed/profile.json',
    ]);

    // Sending it again is a conflict (the form is read whole before it is answered): one stored effect.
    const again = await upload(restarted.url);
    assert.equal(again.status, 409, await again.text());
    assert.deepEqual(filesUnder(data), [
      'datasets/crashed/manifest.json',
      'datasets/crashed/pixels.u8',
      'datasets/crashed/profile.json',
    ]);
    await restarted.kill();
  });
});
