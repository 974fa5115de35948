/**
 * Long CLI operations as jobs: `--detach` queues one for whatever runs jobs (here a `serve` on the
 * same SQLite file) and prints its id; `jobs wait` follows it to its end and exits by its outcome.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { CliProcess, freePort } from '../support/processes.js';
import type { JobBody } from '../support/jobs.js';
import { classFolder } from '../images/helpers/fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'ta-cli-jobs-'));
const inputs = mkdtempSync(join(tmpdir(), 'ta-cli-jobs-inputs-'));
const env = { ...process.env, TA_DATA_DIR: work, DATABASE_URL: '', TA_JOB_HEARTBEAT_SECONDS: '1' };
const cli = (...args: string[]) => runCli(args, { env });
let server: CliProcess | undefined;

after(async () => {
  await server?.stop('SIGKILL', 5000);
  rmSync(work, { recursive: true, force: true });
  rmSync(inputs, { recursive: true, force: true });
});

test('datasets add --detach queues an ingest job; jobs wait follows it to its end, and a cancelled one fails', async () => {
  await classFolder(join(inputs, 'scans'), { cyst: 6, tumour: 6 });
  const add = (id: string) =>
    cli('datasets', 'add', join(inputs, 'scans'), '--name', id, '--id', id, '--size', '16', '--detach');
  const kept = await add('kept');
  assert.equal(kept.code, 0, kept.stderr);
  const keptId = kept.stdout.trim();
  assert.match(keptId, /^[0-9a-f-]{36}$/);
  const dropped = (await add('dropped')).stdout.trim();

  const shown = JSON.parse((await cli('jobs', 'show', keptId, '--json')).stdout) as JobBody;
  assert.deepEqual([shown.kind, shown.state], ['ingest', 'queued']);
  assert.equal((await cli('datasets', 'show', 'kept')).code, 2, 'nothing is ingested before a worker runs the job');

  assert.equal((await cli('jobs', 'cancel', dropped)).code, 0);
  const waitedCancelled = await cli('jobs', 'wait', dropped);
  assert.notEqual(waitedCancelled.code, 0);
  assert.match(waitedCancelled.stderr, /cancelled/);

  const refused = await cli('refit', '--detach', '--evaluate');
  assert.equal(refused.code, 2, refused.stderr);

  server = new CliProcess('serve', ['serve', '--port', String(await freePort())], env, 300_000);
  await server.waitFor(/listening on/, 180_000);
  const waited = await cli('jobs', 'wait', keptId, '--json');
  assert.equal(waited.code, 0, `${waited.stderr}\n${server.output()}`);
  const done = JSON.parse(waited.stdout) as JobBody;
  assert.deepEqual([done.state, done.result_url], ['succeeded', '/v1/datasets/kept']);
  const dataset = JSON.parse((await cli('datasets', 'show', 'kept', '--json')).stdout) as { images: number };
  assert.equal(dataset.images, 12);
  assert.equal((await cli('datasets', 'show', 'dropped')).code, 2);
});
