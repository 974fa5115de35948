/**
 * The embedded worker across a restart, with real `serve` processes on one SQLite file: a server
 * killed while a job runs and others wait comes back, retries the interrupted run and runs the
 * queued ones, each to one embedding.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliProcess, freePort } from '../support/processes.js';
import type { JobBody } from '../support/jobs.js';
import { ingestIntoStore } from '../../src/services/index.js';
import { openStore } from '../../src/store/index.js';

const BREAST = resolve('examples/breastmnist/breastmnist_28.npz');
const TINY = { samples: 40, batch_size: 20, epochs: 1, input_size: 32, max_images: 40 };
const LONGER = { samples: 3000, batch_size: 50, epochs: 2, input_size: 32, max_images: 300 };

let dataDir: string;
let port: number;
const servers: CliProcess[] = [];
const env = () => ({
  DATABASE_URL: '',
  TA_DATA_DIR: dataDir,
  TA_JOB_HEARTBEAT_SECONDS: '1',
  TA_JOB_STALE_SECONDS: '8',
  TA_SHUTDOWN_GRACE_SECONDS: '0',
  TA_LOG_LEVEL: 'info',
  TA_BACKEND: 'wasm',
});
const base = () => `http://127.0.0.1:${port}`;
const outputs = () => servers.map((s) => s.output()).join('\n');

async function serve(name: string): Promise<CliProcess> {
  const server = new CliProcess(name, ['serve', '--port', String(port)], env(), 600_000);
  servers.push(server);
  await server.waitFor(/listening on/, 180_000);
  return server;
}

async function until(id: string, done: (j: JobBody) => boolean, ms: number): Promise<JobBody> {
  const deadline = Date.now() + ms;
  for (;;) {
    // A kept-alive socket the server just closed fails one fetch; the next one opens a new socket.
    const j = (await fetch(`${base()}/v1/jobs/${id}`).then(
      (r) => r.json(),
      () => undefined,
    )) as JobBody | undefined;
    if (j && done(j)) return j;
    if (Date.now() > deadline)
      throw new Error(`job ${id} still ${j?.state} after ${ms} ms: ${JSON.stringify(j)}\n${outputs()}`);
    await sleep(100);
  }
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'ta-embedded-'));
  port = await freePort();
  const store = await openStore({ client: 'sqlite', filename: join(dataDir, 'atlas.sqlite') });
  try {
    await ingestIntoStore(
      store,
      { path: BREAST, field: 'path', metadata: { name: 'Breast', id: 'breast' }, options: { size: 32 } },
      dataDir,
    );
  } finally {
    await store.close();
  }
});

after(async () => {
  await Promise.all(servers.map((s) => s.stop('SIGKILL', 5000)));
  await rm(dataDir, { recursive: true, force: true });
});

test('a server killed mid-job restarts, retries the interrupted run and runs the queued jobs, one embedding each', async () => {
  const first = await serve('serve-1');
  const submit = async (body: unknown) => {
    const res = await fetch(`${base()}/v1/datasets/breast/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 202, await res.clone().text());
    return ((await res.json()) as JobBody).id;
  };
  const long = await submit({ ...LONGER, seed: 1 });
  const queued = [await submit({ ...TINY, seed: 2 }), await submit({ ...TINY, seed: 3 })];
  await until(long, (j) => j.state === 'running' && j.progress !== null, 180_000);
  await first.stop('SIGKILL');

  await serve('serve-2');
  const jobs = await Promise.all(
    [long, ...queued].map((id) => until(id, (j) => ['succeeded', 'failed', 'cancelled'].includes(j.state), 400_000)),
  );
  assert.deepEqual(
    jobs.map((j) => j.state),
    ['succeeded', 'succeeded', 'succeeded'],
    outputs(),
  );
  assert.equal(jobs[0]!.attempts, 2);
  assert.deepEqual(
    jobs.slice(1).map((j) => j.attempts),
    [1, 1],
  );
  const embeddings = (await (await fetch(`${base()}/v1/datasets/breast/embeddings`)).json()) as {
    items: { id: number; seed: number }[];
  };
  assert.deepEqual(embeddings.items.map((e) => e.seed).sort(), [1, 2, 3]);
  assert.deepEqual(
    new Set(jobs.map((j) => j.result_url)),
    new Set(embeddings.items.map((e) => `/v1/embeddings/${e.id}`)),
  );
});

test('SIGTERM hands a running job back; the next start finishes it', async () => {
  const server = servers.at(-1)!;
  const res = await fetch(`${base()}/v1/datasets/breast/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...LONGER, seed: 4 }),
  });
  const id = ((await res.json()) as JobBody).id;
  await until(id, (j) => j.state === 'running' && j.progress !== null, 180_000);
  const exit = await server.stop('SIGTERM', 60_000);
  assert.equal(exit.code, 0, outputs());
  await serve('serve-3');
  const handedBack = await until(id, (j) => j.state === 'succeeded' || j.state === 'failed', 400_000);
  assert.equal(handedBack.state, 'succeeded', outputs());
  // A hand-back is no failure: it used an attempt number but not one of the job's allowed failures.
  assert.deepEqual([handedBack.attempts, handedBack.max_attempts], [2, 4]);
});

test('a running job is cancelled at its next heartbeat: no embedding, and the worker takes the next job', async () => {
  const submit = async (body: unknown) =>
    (
      (await (
        await fetch(`${base()}/v1/datasets/breast/embeddings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json()) as JobBody
    ).id;
  const seedsNow = async () =>
    (
      (await (await fetch(`${base()}/v1/datasets/breast/embeddings`)).json()) as { items: { seed: number }[] }
    ).items.map((e) => e.seed);
  const before = await seedsNow();
  const id = await submit({ ...LONGER, seed: 5 });
  const next = await submit({ ...TINY, seed: 6 });
  await until(id, (j) => j.state === 'running' && j.progress !== null, 180_000);
  const res = await fetch(`${base()}/v1/jobs/${id}`, { method: 'DELETE' });
  assert.equal(res.status, 202);
  const cancelled = await until(id, (j) => j.state !== 'running', 60_000);
  assert.equal(cancelled.state, 'cancelled', outputs());
  assert.equal(cancelled.result_url, null);
  const after = await until(next, (j) => ['succeeded', 'failed', 'cancelled'].includes(j.state), 300_000);
  assert.equal(after.state, 'succeeded', outputs());
  assert.deepEqual((await seedsNow()).sort(), [...before, 6].sort());
});
