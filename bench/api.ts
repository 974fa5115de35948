/**
 * API throughput and latency with autocannon against a real `serve` process (its own process, so
 * the load generator does not share its event loop): POST /v1/recommendations for a target with a
 * stored Task2Vec embedding (ISIC, embedded in the study) at concurrency 16 for 20 s, then GET
 * /v1/datasets, on SQLite and on PostgreSQL (127.0.0.1:5432, database `test`, or BENCH_DATABASE_URL).
 * The load generator runs in a process of its own, and each measured run follows an unrecorded warm-up
 * at the same concurrency (BENCH_API_WARMUP_SECONDS, 5 s), so that it measures the optimised code, not
 * the compiler.
 * The peer, in the same run: the smallest Express app answering the same bytes, on a plain node:http
 * server and on the service's server (bench/api-peer.ts), which shows what Express alone costs here.
 * Writes bench/results/api.json.
 *   npm run bench:api               (BENCH_API_SECONDS=5 for a quick run; BENCH_API_STORES=sqlite for one store)
 * Target: recommendation p99 under 10 ms at concurrency 16 on 2 cores, zero errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type autocannon from 'autocannon';
import pg from 'pg';

const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 20);
const WARMUP_SECONDS = Number(process.env.BENCH_API_WARMUP_SECONDS ?? 5);
const CONNECTIONS = 16;
const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const STORES = (process.env.BENCH_API_STORES ?? 'sqlite,postgres').split(',');
const TARGET = 'isic';
const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Started {
  readonly child: ChildProcess;
  readonly line: string;
  /** Everything it has printed so far. */
  readonly output: () => string;
}

/** Start `node --import tsx <args>` and wait for its `listening on` line. */
async function startProcess(args: string[], env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: ROOT,
    // One address sends every request here: the per-address rate limits would answer 429 to nearly all of them.
    env: {
      ...process.env,
      TA_LOG_LEVEL: 'silent',
      TA_RATE_LIMIT: '0',
      TA_WRITE_RATE_LIMIT: '0',
      TA_TOKEN_RATE_LIMIT: '0',
      TA_TOKEN_WRITE_RATE_LIMIT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start within 300 s:\n${out}`)), 300_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const found = /^.*listening on.*$/m.exec(out);
      if (found) {
        clearTimeout(timer);
        resolve(found[0]);
      }
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}:\n${out}`)));
  });
  return { child, line, output: () => out };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/**
 * Start-up queues the ranker's evaluation as a job, which the embedded worker runs in the server's own
 * process: what is measured is serving, so the load starts once no job is queued or running.
 */
async function jobsSettled(url: string): Promise<void> {
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    // While a job holds the event loop past the keep-alive timeout, a reused connection may be reset: asked again.
    const pending = await Promise.all(
      ['queued', 'running'].map(async (state) => {
        const res = await fetch(`${url}/v1/jobs?state=${state}`).catch(() => undefined);
        if (res === undefined) return 1;
        if (res.status !== 200) throw new Error(`GET /v1/jobs answered ${res.status}: ${await res.text()}`);
        return ((await res.json()) as { total: number }).total;
      }),
    );
    if (pending.every((n) => n === 0)) return;
    if (Date.now() > deadline) throw new Error('jobs were still queued or running 30 minutes after start-up');
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** What one load run measured, as bench/api-load.ts prints it. */
interface Measured {
  readonly requests: number;
  readonly requests_per_second: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly errors: number;
  readonly non_2xx: number;
  readonly timeouts: number;
}

interface Figures extends Measured {
  readonly store: string;
  readonly operation: string;
  readonly seconds: number;
  readonly connections: number;
  /** Other processes on the machine take cores from both the server and the load generator. */
  readonly load_average_1m_after: number;
}

/** autocannon in a process of its own (bench/api-load.ts): in this one it would share a loop with the bench's own work. */
async function generate(options: autocannon.Options): Promise<Measured> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'bench/api-load.ts',
      JSON.stringify({ connections: CONNECTIONS, duration: SECONDS, ...options }),
      String(WARMUP_SECONDS),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`bench/api-load.ts exited with ${code}:\n${out}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as Measured;
}

async function load(store: string, operation: string, options: autocannon.Options): Promise<Figures> {
  const r = await generate(options);
  const figures = {
    store,
    operation,
    seconds: SECONDS,
    connections: CONNECTIONS,
    ...r,
    load_average_1m_after: Number(loadavg()[0]!.toFixed(2)),
  };
  console.log(
    `${store.padEnd(8)} ${operation.padEnd(26)} ${figures.requests_per_second.toFixed(0).padStart(6)} req/s  p50 ${figures.p50_ms} ms  p99 ${figures.p99_ms} ms  errors ${figures.errors}  non-2xx ${figures.non_2xx}  timeouts ${figures.timeouts}  load ${figures.load_average_1m_after}`,
  );
  return figures;
}

const headers = { 'content-type': 'application/json' };
const body = JSON.stringify({ target: TARGET });

/** The answer bytes of the first store's recommendation, for the peer to send. */
let answerFile: string | undefined;

async function benchStore(store: string): Promise<Figures[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ta-bench-api-'));
  const schema = `bench_api_${process.pid}`;
  const env: NodeJS.ProcessEnv =
    store === 'sqlite'
      ? { DATABASE_URL: '', TA_DATA_DIR: dataDir }
      : { DATABASE_URL: POSTGRES_URL, DATABASE_SCHEMA: schema, TA_DATA_DIR: dataDir };
  const port = await freePort();
  const { child: server } = await startProcess(['src/cli/main.ts', 'serve', '--seed', '--port', String(port)], env);
  const url = `http://127.0.0.1:${port}`;
  try {
    await jobsSettled(url);
    // The first request after start-up fits the ranker and fills the cache; it is not what is measured.
    const first = await fetch(`${url}/v1/recommendations`, { method: 'POST', headers, body });
    if (first.status !== 200)
      throw new Error(`POST /v1/recommendations answered ${first.status}: ${await first.text()}`);
    if (answerFile === undefined) {
      answerFile = join(await mkdtemp(join(tmpdir(), 'ta-bench-answer-')), 'answer.json');
      await writeFile(answerFile, Buffer.from(await first.arrayBuffer()));
    }
    return [
      await load(store, 'POST /v1/recommendations', {
        url: `${url}/v1/recommendations`,
        method: 'POST',
        headers,
        body,
      }),
      await load(store, 'GET /v1/datasets', { url: `${url}/v1/datasets` }),
    ];
  } finally {
    await stopProcess(server);
    await rm(dataDir, { recursive: true, force: true });
    if (store === 'postgres') {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.query(`drop schema if exists "${schema}_pgboss" cascade`);
      await client.end();
    }
  }
}

interface Scavenges {
  readonly scavenges: number;
  readonly median_ms: number;
  readonly p90_ms: number;
  readonly total_ms: number;
}

async function benchPeer(kind: 'plain' | 'service'): Promise<Figures & { readonly young_generation_gc: Scavenges }> {
  const { child, line, output } = await startProcess(['bench/api-peer.ts', answerFile!, kind], {});
  let figures: Figures;
  try {
    const port = /listening on (\d+)/.exec(line)![1]!;
    figures = await load('peer', `Express, ${kind} server`, {
      url: `http://127.0.0.1:${port}/v1/recommendations`,
      method: 'POST',
      headers,
      body,
    });
  } finally {
    await stopProcess(child);
  }
  // Over the warm-up and the measured run.
  const gc = JSON.parse(output().trim().split('\n').at(-1)!) as Scavenges;
  console.log(
    `${''.padEnd(8)} young-generation collections ${gc.scavenges}, median ${gc.median_ms} ms, p90 ${gc.p90_ms} ms, total ${gc.total_ms} ms`,
  );
  return { ...figures, young_generation_gc: gc };
}

const load1 = loadavg()[0]!;
const runs: Figures[] = [];
for (const store of STORES) runs.push(...(await benchStore(store)));
const peer = [await benchPeer('plain'), await benchPeer('service')];
await rm(join(answerFile!, '..'), { recursive: true, force: true });
const result = {
  date: new Date().toISOString(),
  machine: { cpus: availableParallelism(), model: cpus()[0]?.model ?? 'unknown', load_average_1m_at_start: load1 },
  target: TARGET,
  warmup_seconds: WARMUP_SECONDS,
  runs,
  peer,
  target_p99_ms: 10,
  met: runs
    .filter((r) => r.operation.startsWith('POST'))
    .every((r) => r.p99_ms < 10 && r.errors === 0 && r.non_2xx === 0 && r.timeouts === 0),
};
await mkdir(join(ROOT, 'bench', 'results'), { recursive: true });
await writeFile(join(ROOT, 'bench', 'results', 'api.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `load average at start ${load1.toFixed(1)} on ${availableParallelism()} cores; recommendation p99 < 10 ms with no errors: ${result.met ? 'met' : 'NOT met'}`,
);
