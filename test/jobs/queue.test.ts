import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterFailure, DEFAULT_RETRY, progressOf, retryDelayMs } from '../../src/jobs/index.js';
import {
  claimJob,
  endAttempt,
  getJob,
  heartbeat,
  insertJob,
  markSucceeded,
  nextDueJob,
  requestCancel,
  requeueStale,
} from '../../src/store/index.js';
import { describeEachStore } from '../support/stores.js';

const crash = { code: 'internal', message: 'boom', retryable: true };

test("retries back off exponentially up to a ceiling; the caller's mistakes are not retried; spent attempts are dead letters", () => {
  const policy = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 5000 };
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((a) => retryDelayMs(policy, a)),
    [1000, 2000, 4000, 5000, 5000],
  );
  assert.deepEqual(afterFailure({ attempts: 2, maxAttempts: 4 }, crash, policy, 10_000), {
    state: 'queued',
    runAfter: 12_000,
  });
  assert.deepEqual(afterFailure({ attempts: 4, maxAttempts: 4 }, crash, policy, 10_000), {
    state: 'failed',
    deadLetter: true,
  });
  assert.deepEqual(
    afterFailure(
      { attempts: 1, maxAttempts: 4 },
      { code: 'not-found', message: 'no dataset', retryable: false },
      DEFAULT_RETRY,
      0,
    ),
    { state: 'failed', deadLetter: false },
  );
  assert.deepEqual(progressOf({ stage: 'fisher', done: 30, total: 40, imagesPerSecond: 12, etaSeconds: 0.8 }), {
    stage: 'fisher',
    done: 30,
    total: 40,
    fraction: 0.75,
    imagesPerSecond: 12,
    etaSeconds: 0.8,
  });
});

describeEachStore('job records', (kind) => {
  test('one claim wins; a stale run is taken over and the old attempt can no longer commit', async () => {
    const store = await kind.open();
    try {
      const db = store.knex;
      const job = await insertJob(db, { kind: 'embed', params: { dataset: 'x' }, maxAttempts: 3 }, 1000);
      assert.equal((await nextDueJob(db, 'wasm', 1000))?.id, job.id);
      const [a, b] = await Promise.all([claimJob(db, job.id, 'w1', 0, 1000), claimJob(db, job.id, 'w2', 0, 1000)]);
      assert.deepEqual(
        [a, b].filter((x) => x !== undefined),
        [1],
      );
      // Still beating: nobody else may take it.
      assert.equal(await claimJob(db, job.id, 'w2', 500, 1500), undefined);
      // Silent since 1000: a claim that considers anything before 2000 stale takes it over.
      const second = await claimJob(db, job.id, 'w2', 2000, 2500);
      assert.equal(second, 2);
      assert.deepEqual(await heartbeat(db, job.id, 1, null), { held: false, cancelRequested: false });
      assert.equal(await db.transaction((trx) => markSucceeded(trx, job.id, 1, '/v1/embeddings/1', null)), false);
      assert.equal(await db.transaction((trx) => markSucceeded(trx, job.id, 2, '/v1/embeddings/2', null)), true);
      const done = (await getJob(db, job.id))!;
      assert.deepEqual(
        [done.state, done.resultUrl, done.attempts, done.worker],
        ['succeeded', '/v1/embeddings/2', 2, 'w2'],
      );
    } finally {
      await store.close();
    }
  });

  test('a failed attempt waits for its back-off; a lost run is queued again, or dead-lettered when its attempts are spent', async () => {
    const store = await kind.open();
    try {
      const db = store.knex;
      const job = await insertJob(db, { kind: 'embed', params: {}, maxAttempts: 2 }, 0);
      assert.equal(await claimJob(db, job.id, 'w1', 0, 0), 1);
      assert.equal(await endAttempt(db, job.id, 1, { state: 'queued', runAfter: 5000, failure: crash }), true);
      assert.equal(await nextDueJob(db, 'wasm', 4999), undefined);
      assert.equal((await nextDueJob(db, 'wasm', 5000))?.id, job.id);
      assert.equal(await claimJob(db, job.id, 'w1', 0, 5000), 2);
      const running = (await getJob(db, job.id))!;
      assert.equal(
        await requeueStale(db, running, { code: 'worker-lost', message: 'gone', retryable: true }),
        'failed',
      );
      assert.equal(
        await requeueStale(db, running, { code: 'worker-lost', message: 'gone', retryable: true }),
        undefined,
      );
      const dead = (await getJob(db, job.id))!;
      assert.deepEqual([dead.state, dead.deadLetter, dead.failure?.code], ['failed', true, 'worker-lost']);
    } finally {
      await store.close();
    }
  });

  test('cancel: a queued job at once, a running one through its heartbeat; a hand-back keeps the allowed failures', async () => {
    const store = await kind.open();
    try {
      const db = store.knex;
      const queued = await insertJob(db, { kind: 'embed', params: {}, maxAttempts: 3 });
      assert.equal((await requestCancel(db, queued.id))!.state, 'cancelled');
      assert.equal(await claimJob(db, queued.id, 'w1', 0), undefined);
      const running = await insertJob(db, { kind: 'embed', params: {}, maxAttempts: 3 });
      const attempt = (await claimJob(db, running.id, 'w1', 0))!;
      assert.equal((await requestCancel(db, running.id))!.state, 'running');
      assert.deepEqual(await heartbeat(db, running.id, attempt, null), { held: true, cancelRequested: true });
      const handed = await insertJob(db, { kind: 'embed', params: {}, maxAttempts: 3 }, 0);
      assert.equal(await claimJob(db, handed.id, 'w1', 0, 0), 1);
      await endAttempt(db, handed.id, 1, {
        state: 'queued',
        runAfter: 0,
        handedBack: true,
        failure: { code: 'interrupted', message: 'shutdown', retryable: true },
      });
      const back = (await getJob(db, handed.id))!;
      assert.deepEqual([back.state, back.attempts, back.maxAttempts], ['queued', 1, 4]);
    } finally {
      await store.close();
    }
  });
});
