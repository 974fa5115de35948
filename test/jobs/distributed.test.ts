/**
 * The distributed queue end to end, with real processes on the real PostgreSQL: an API process
 * that runs no jobs, two `transfer-atlas worker`s, embeddings of BreastMNIST at tiny options.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describeEachStore, POSTGRES_URL } from '../support/stores.js';
import { CliProcess, freePort } from '../support/processes.js';
import type { JobBody } from '../support/jobs.js';
import { ingestIntoStore } from '../../src/services/index.js';
import { openStore } from '../../src/store/index.js';

const BREAST = resolve('examples/breastmnist/breastmnist_28.npz');
/** Tiny but real: 40 images at 32 px, one epoch of the head, 40 Monte Carlo samples. */
const TINY = { samples: 40, batch_size: 20, epochs: 1, input_size: 32, max_images: 40 };
/** Long enough (several seconds) to be caught running. */
const LONGER = { samples: 3000, batch_size: 50, epochs: 2, input_size: 32, max_images: 300 };

/** Every file under `dir`, relative to it, sorted: embedding jobs must leave the data folder as ingestion left it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describeEachStore('distributed jobs', (kind) => {
  if (kind.name !== 'postgres') return;
  const schema = `ta_dist_${process.pid}_${randomBytes(3).toString('hex')}`;
  let dataDir: string;
  let ingestedFiles: string[];
  let api: CliProcess;
  const workers: CliProcess[] = [];
  let base: string;
  const env = () => ({
    DATABASE_URL: POSTGRES_URL,
    DATABASE_SCHEMA: schema,
    TA_DATA_DIR: dataDir,
    TA_JOB_HEARTBEAT_SECONDS: '1',
    TA_JOB_STALE_SECONDS: '8',
    TA_JOB_RETRY_DELAY_SECONDS: '1',
    TA_SHUTDOWN_GRACE_SECONDS: '0',
    TA_LOG_LEVEL: 'info',
    TA_BACKEND: 'wasm',
  });
  const processes = () => [api, ...workers].filter((p) => p !== undefined);
  /** Every process's output, for a failing assertion. */
  const outputs = () =>
    processes()
      .map((p) => p.output())
      .join('\n');
  const startWorker = (name: string) => {
    const w = new CliProcess(name, ['worker'], env(), 600_000);
    workers.push(w);
    return w;
  };
  const post = (path: string, body: unknown) =>
    fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  // A kept-alive socket the server just closed fails one fetch; the next one opens a new socket.
  const job = async (id: string) =>
    (await fetch(`${base}/v1/jobs/${id}`).then(
      (r) => r.json(),
      () => undefined,
    )) as JobBody | undefined;
  async function until(id: string, done: (j: JobBody) => boolean, ms: number): Promise<JobBody> {
    const deadline = Date.now() + ms;
    for (;;) {
      const j = await job(id);
      if (j && done(j)) return j;
      if (Date.now() > deadline)
        throw new Error(`job ${id} still ${j?.state} after ${ms} ms: ${JSON.stringify(j)}\n${outputs()}`);
      await sleep(500);
    }
  }
  const finished = (j: JobBody) => ['succeeded', 'failed', 'cancelled'].includes(j.state);
  /** The seeds of the stored embeddings of the test dataset, one entry per row. */
  async function embeddingSeeds(): Promise<number[]> {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      const rows = (
        await client.query(`select seed from "${schema}".embeddings where dataset_id = 'breast' order by seed`)
      ).rows as { seed: number }[];
      return rows.map((r) => Number(r.seed));
    } finally {
      await client.end();
    }
  }
  const embeddingCount = async () => (await embeddingSeeds()).length;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ta-dist-'));
    const store = await openStore({ client: 'postgres', connectionString: POSTGRES_URL, schema });
    try {
      await ingestIntoStore(
        store,
        { path: BREAST, field: 'path', metadata: { name: 'Breast', id: 'breast' }, options: { size: 32 } },
        dataDir,
      );
    } finally {
      await store.close();
    }
    ingestedFiles = await filesUnder(dataDir);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    api = new CliProcess('api', ['serve', '--no-worker', '--port', String(port)], env(), 900_000);
    startWorker('worker-a');
    startWorker('worker-b');
    // Generous start-up deadlines: a loaded machine takes long to compile and load the tensor backend.
    await api.waitFor(/listening on/, 180_000);
    await Promise.all(workers.map((w) => w.waitFor(/worker started/, 180_000)));
  });

  after(async () => {
    await Promise.all(processes().map((p) => p.stop('SIGKILL', 5000)));
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.query(`drop schema if exists "${schema}_pgboss" cascade`);
    await client.end();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('30 queued embedding jobs over two workers all succeed, each with exactly one embedding', async () => {
    const ids: string[] = [];
    for (let seed = 0; seed < 30; seed++) {
      const res = await post('/v1/datasets/breast/embeddings', { ...TINY, seed });
      assert.equal(res.status, 202, await res.clone().text());
      ids.push(((await res.json()) as JobBody).id);
    }
    // One list request a second follows all thirty.
    const deadline = Date.now() + 400_000;
    let jobs: JobBody[];
    for (;;) {
      const page = (await (await fetch(`${base}/v1/jobs?kind=embed&page_size=200`)).json()) as { items: JobBody[] };
      jobs = page.items.filter((j) => ids.includes(j.id));
      if (jobs.every(finished)) break;
      if (Date.now() > deadline)
        throw new Error(`not finished: ${jobs.filter((j) => !finished(j)).length} of 30\n${outputs()}`);
      await sleep(1000);
    }
    assert.deepEqual(
      jobs.filter((j) => j.state !== 'succeeded').map((j) => [j.id, j.state, j.failure]),
      [],
      outputs(),
    );
    assert.equal(new Set(jobs.map((j) => j.result_url)).size, 30);
    assert.deepEqual(
      await embeddingSeeds(),
      Array.from({ length: 30 }, (_, i) => i),
    );
    assert.deepEqual(await filesUnder(dataDir), ingestedFiles);
    // Both workers took part: the queue spreads work over processes.
    const ran = new Set(jobs.map((j) => j.worker));
    assert.equal(ran.size, 2, `workers: ${[...ran].join(', ')}`);
    const seeds = await Promise.all(
      jobs.map(async (j) => ((await (await fetch(base + j.result_url!)).json()) as { seed: number }).seed),
    );
    assert.deepEqual(
      seeds.sort((a, b) => a - b),
      Array.from({ length: 30 }, (_, i) => i),
    );
  });

  test('a worker killed mid-job: the other completes it, and there is one embedding', async () => {
    const before = await embeddingCount();
    const res = await post('/v1/datasets/breast/embeddings', { ...LONGER, seed: 100 });
    const id = ((await res.json()) as JobBody).id;
    const running = await until(id, (j) => j.state === 'running' && j.progress !== null, 180_000);
    const victim = workers.find((w) => running.worker!.endsWith(`:${w.pid}`));
    assert.ok(victim, `no test worker is ${running.worker}`);
    await victim.stop('SIGKILL');
    const done = await until(id, finished, 300_000);
    assert.equal(done.state, 'succeeded', `${JSON.stringify(done)}\n${outputs()}`);
    assert.equal(done.attempts, 2);
    assert.notEqual(done.worker, running.worker);
    assert.equal(await embeddingCount(), before + 1);
    assert.deepEqual(
      (await embeddingSeeds()).filter((seed) => seed === 100),
      [100],
    );
    assert.deepEqual(await filesUnder(dataDir), ingestedFiles);
    startWorker('worker-c');
  });

  test('a running job is cancelled at its next heartbeat and leaves nothing', async () => {
    const before = await embeddingCount();
    const id = ((await (await post('/v1/datasets/breast/embeddings', { ...LONGER, seed: 200 })).json()) as JobBody).id;
    await until(id, (j) => j.state === 'running' && j.progress !== null, 180_000);
    const res = await fetch(`${base}/v1/jobs/${id}`, { method: 'DELETE' });
    assert.equal(res.status, 202);
    assert.equal(((await res.json()) as JobBody).cancel_requested, true);
    const done = await until(id, finished, 60_000);
    assert.equal(done.state, 'cancelled');
    assert.equal(await embeddingCount(), before);
    const again = await fetch(`${base}/v1/jobs/${id}`, { method: 'DELETE' });
    assert.equal(again.status, 200);
  });

  test('the event stream reports progress and ends with the finished job; metrics count the jobs', async () => {
    const id = ((await (await post('/v1/datasets/breast/embeddings', { ...TINY, seed: 300 })).json()) as JobBody).id;
    const res = await fetch(`${base}/v1/jobs/${id}/events`, { signal: AbortSignal.timeout(60_000) });
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream\b/);
    const events = (await res.text())
      .split('\n\n')
      .filter((e) => e.startsWith('event: job'))
      .map((e) => JSON.parse(e.split('\ndata: ')[1]!) as JobBody);
    assert.equal(events.at(-1)!.state, 'succeeded');
    assert.ok(events.length >= 2, `${events.length} events`);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.ok(Number(/ta_jobs\{state="succeeded"\} (\d+)/.exec(metrics)?.[1]) >= 32, metrics);
    assert.match(
      metrics,
      /ta_http_request_duration_seconds_bucket\{le="[^"]+",method="POST",route="\/v1\/datasets\/:id\/embeddings",status="202"\}/,
    );
  });

  test('SIGTERM: workers stop taking jobs and exit cleanly', async () => {
    const alive = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    const exits = await Promise.all(alive.map((w) => w.stop('SIGTERM', 20_000)));
    assert.deepEqual(
      exits.map((e) => e.code),
      alive.map(() => 0),
      outputs(),
    );
  });
});
