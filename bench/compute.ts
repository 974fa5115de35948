/**
 * Images per second of the default probe, forward and forward+backward (gradients of a loss
 * through a random linear head with respect to every probe weight), at 224 and 96 px, batch
 * 32 and 50, on every tfjs backend that loads. Prints a table; writes bench/results/compute.json.
 *
 *   npm run bench:compute                 all backends, all sizes
 *   TA_BENCH_BACKENDS=wasm npm run bench:compute
 *   TA_BENCH_CPU_BUDGET_S=60              skip configurations the pure-JS cpu backend would need longer for
 *   TA_BENCH_WORKERS=2                    also time forward+backward split over that many worker
 *                                         threads, each with its own wasm backend and a share of the batch
 *                                         (0 to skip)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { loadBackend, type BackendChoice } from '../src/compute/index.js';
import { defaultProbeFolder, loadProbe, type Probe } from '../src/probes/index.js';

type Choice = Exclude<BackendChoice, 'auto'>;
type Mode = 'forward' | 'forward+backward';

interface Row {
  backend: string;
  choice: Choice;
  threads: number;
  simd: boolean;
  size: number;
  batch: number;
  mode: Mode;
  imagesPerSecond: number | null;
  msPerBatch: number | null;
  /** Images per second of this process's own CPU time: less sensitive to other jobs on a shared machine. */
  imagesPerCpuSecond: number | null;
  runs: number;
  note?: string;
}

const SIZES = [224, 96];
const BATCHES = [32, 50];
const MODES: Mode[] = ['forward', 'forward+backward'];
const TIMED_RUNS = Number(process.env.TA_BENCH_RUNS ?? 3);
const CPU_BUDGET_S = Number(process.env.TA_BENCH_CPU_BUDGET_S ?? 60);
const REQUESTED = (process.env.TA_BENCH_BACKENDS ?? 'gpu,tensorflow,wasm,cpu')
  .split(',')
  .map((s) => s.trim()) as Choice[];

const HEAD_CLASSES = 10;
const WORKERS = Number(process.env.TA_BENCH_WORKERS ?? 2);

interface WorkerTask {
  readonly size: number;
  readonly batch: number;
}

function once(probe: Probe, x: tf.Tensor4D, head: tf.Tensor2D, mode: Mode): void {
  if (mode === 'forward') {
    const f = probe.features(x);
    f.dataSync();
    f.dispose();
    return;
  }
  const grads = probe.gradients(x, (features) => tf.mean(tf.square(tf.matMul(features, head))));
  for (const g of grads) g.dataSync();
  tf.dispose(grads);
}

function seconds(probe: Probe, x: tf.Tensor4D, head: tf.Tensor2D, mode: Mode): number {
  return timed(probe, x, head, mode).wall;
}

function timed(probe: Probe, x: tf.Tensor4D, head: tf.Tensor2D, mode: Mode): { wall: number; cpu: number } {
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  once(probe, x, head, mode);
  const wall = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu0);
  return { wall, cpu: (used.user + used.system) / 1e6 };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function benchBackend(choice: Choice, rows: Row[]): Promise<void> {
  let facts: { name: string; threads: number; simd: boolean };
  try {
    facts = await loadBackend(choice);
  } catch (e) {
    process.stdout.write(`${choice}: not available (${(e as Error).message.split('\n')[0]})\n`);
    return;
  }
  if (rows.some((r) => r.backend === facts.name)) return;
  await tf.setBackend(facts.name);
  const probe = await loadProbe(defaultProbeFolder());
  const head = tf.randomNormal([probe.featureSize, HEAD_CLASSES], 0, 0.05, 'float32', 1) as tf.Tensor2D;
  for (const size of SIZES) {
    for (const mode of MODES) {
      let perImageEstimate = 0;
      if (facts.name === 'cpu') {
        const one = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
        perImageEstimate = seconds(probe, one, head, mode);
        one.dispose();
      }
      for (const batch of BATCHES) {
        const base = { backend: facts.name, choice, threads: facts.threads, simd: facts.simd, size, batch, mode };
        const estimate = perImageEstimate * batch * (TIMED_RUNS + 1);
        if (facts.name === 'cpu' && estimate > CPU_BUDGET_S) {
          const note = `skipped: about ${estimate.toFixed(0)} s over the ${CPU_BUDGET_S} s budget (1 image: ${perImageEstimate.toFixed(2)} s)`;
          rows.push({ ...base, imagesPerSecond: null, msPerBatch: null, imagesPerCpuSecond: null, runs: 0, note });
          process.stdout.write(`${facts.name} ${size}px b${batch} ${mode}: ${note}\n`);
          continue;
        }
        const x = tf.randomUniform([batch, size, size, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
        try {
          once(probe, x, head, mode);
          const runs = Array.from({ length: TIMED_RUNS }, () => timed(probe, x, head, mode));
          const t = median(runs.map((r) => r.wall));
          const cpu = median(runs.map((r) => r.cpu));
          rows.push({
            ...base,
            imagesPerSecond: batch / t,
            msPerBatch: t * 1000,
            imagesPerCpuSecond: batch / cpu,
            runs: TIMED_RUNS,
          });
          process.stdout.write(`${facts.name} ${size}px b${batch} ${mode}: ${(batch / t).toFixed(1)} img/s\n`);
        } catch (e) {
          const note = `failed: ${(e as Error).message.split('\n')[0]}`;
          rows.push({ ...base, imagesPerSecond: null, msPerBatch: null, imagesPerCpuSecond: null, runs: 0, note });
          process.stdout.write(`${facts.name} ${size}px b${batch} ${mode}: ${note}\n`);
        } finally {
          x.dispose();
        }
      }
    }
  }
  head.dispose();
  probe.dispose();
}

function table(rows: Row[]): string {
  const header = ['backend', 'threads', 'simd', 'px', 'batch', 'mode', 'img/s', 'ms/batch', 'img/cpu-s', 'note'];
  const lines = rows.map((r) => [
    r.backend,
    String(r.threads),
    r.simd ? 'yes' : 'no',
    String(r.size),
    String(r.batch),
    r.mode,
    r.imagesPerSecond === null ? '-' : r.imagesPerSecond.toFixed(1),
    r.msPerBatch === null ? '-' : r.msPerBatch.toFixed(0),
    r.imagesPerCpuSecond === null ? '-' : r.imagesPerCpuSecond.toFixed(1),
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}

/** Worker side: one wasm backend and probe, running forward+backward on its share when told. */
async function serveWorker(task: WorkerTask): Promise<void> {
  const facts = await loadBackend('wasm');
  await tf.setBackend(facts.name);
  const probe = await loadProbe(defaultProbeFolder());
  const head = tf.randomNormal([probe.featureSize, HEAD_CLASSES], 0, 0.05, 'float32', 1) as tf.Tensor2D;
  const x = tf.randomUniform([task.batch, task.size, task.size, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
  once(probe, x, head, 'forward+backward');
  parentPort?.on('message', (m: string) => {
    if (m === 'run') {
      once(probe, x, head, 'forward+backward');
      parentPort?.postMessage('done');
    } else {
      parentPort?.close();
    }
  });
  parentPort?.postMessage('ready');
}

function nextMessage(w: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
}

/** Wall time for `workers` threads to each finish forward+backward on batch/workers images. */
async function benchWorkers(workers: number, size: number, batch: number, rows: Row[]): Promise<void> {
  const share = Math.ceil(batch / workers);
  const pool = Array.from(
    { length: workers },
    () =>
      // Workers do not inherit the --import tsx hook: the entry registers it, then loads this file.
      new Worker(
        `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); });`,
        { eval: true, workerData: { size, batch: share } satisfies WorkerTask },
      ),
  );
  await Promise.all(pool.map(nextMessage));
  const times: number[] = [];
  for (let r = 0; r < TIMED_RUNS; r++) {
    const t = performance.now();
    const done = pool.map(nextMessage);
    for (const w of pool) w.postMessage('run');
    await Promise.all(done);
    times.push((performance.now() - t) / 1000);
  }
  for (const w of pool) w.postMessage('stop');
  await Promise.all(pool.map((w) => w.terminate()));
  const t = median(times);
  const name = `wasm x${workers} workers`;
  rows.push({
    backend: name,
    choice: 'wasm',
    threads: workers,
    simd: true,
    size,
    batch: share * workers,
    mode: 'forward+backward',
    imagesPerSecond: (share * workers) / t,
    msPerBatch: t * 1000,
    imagesPerCpuSecond: null,
    runs: TIMED_RUNS,
  });
  process.stdout.write(
    `${name} ${size}px b${share * workers} forward+backward: ${((share * workers) / t).toFixed(1)} img/s\n`,
  );
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const choice of REQUESTED) await benchBackend(choice, rows);
  if (WORKERS > 1 && REQUESTED.includes('wasm')) {
    for (const size of SIZES) await benchWorkers(WORKERS, size, 50, rows);
  }
  process.stdout.write(`\n${table(rows)}\n`);
  process.stdout.write(
    '\nPyTorch CPU reference on this kind of machine (forward+backward, batch 50): ~34 img/s at 224 px, ~190 img/s at 96 px.\n',
  );
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'compute.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        probe: 'mobilenet_v2_0.35_224 (bundled)',
        date: new Date().toISOString(),
        machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), node: process.version },
        timedRuns: TIMED_RUNS,
        reference: { pytorchCpuForwardBackwardBatch50: { '224': 34, '96': 190 } },
        results: rows,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`wrote ${out}\n`);
}

if (isMainThread) await main();
else await serveWorker(workerData as WorkerTask);
