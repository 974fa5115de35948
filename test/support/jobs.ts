import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { components } from '../../src/api/schema.js';

export type JobBody = components['schemas']['Job'];

/** Asserts a 202 naming the job, then follows the job until it ends (at most `timeoutMs`). */
export async function settled(base: string, res: Response, timeoutMs = 120_000): Promise<JobBody> {
  assert.equal(res.status, 202, await res.clone().text());
  const location = res.headers.get('location') ?? '';
  assert.match(location, /^\/v1\/jobs\/[0-9a-f-]{36}$/);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const job = (await (await fetch(base + location)).json()) as JobBody;
    if (job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled') return job;
    await sleep(50);
  }
  throw new Error(`job ${location} did not finish within ${timeoutMs} ms`);
}

/** The result of a job that must have succeeded. */
export async function resultOf<T>(base: string, job: JobBody): Promise<T> {
  assert.equal(job.state, 'succeeded', JSON.stringify(job.failure));
  assert.ok(job.result_url);
  return (await (await fetch(base + job.result_url)).json()) as T;
}
