import { createServer } from 'node:http';
import { Command, InvalidArgumentError, Option } from 'commander';
import { backendInfo, initCompute } from '../../compute/index.js';
import { AppError, ERROR_CODES, invalid, type ErrorCode } from '../../errors.js';
import {
  isTerminal,
  JOB_KINDS,
  JOB_STATES,
  type Job,
  type JobBackend,
  type JobKind,
  type JobState,
} from '../../jobs/index.js';
import { presentJob } from '../../presenters/jobs.js';
import { dataDir, describeStore, openStore, storeConfigFromEnv, withStore, type Store } from '../../services/index.js';
import { startJobSystem } from '../../services/job-system.js';
import {
  cancelJob,
  jobCounts,
  jobOrNotFound,
  listJobRecords,
  followJob,
  runToEnd,
  submitJob,
  workerSettingsFromEnv,
  type Submission,
} from '../../services/jobs.js';
import { createLogger, jobsByState, metricsRegistry, silentLogger } from '../../services/telemetry.js';
import { positiveInt } from '../options.js';
import { printJson, table } from '../output.js';
import { progressBar } from '../progress.js';
import { definedOnly } from '../../defaults.js';

const CALLER_MISTAKES = new Set<string>(ERROR_CODES);

/** A failed job as the CLI reports it: the caller's mistake exits 2, anything else 1. */
function failedJobError(job: Job): Error {
  const f = job.failure;
  if (job.state === 'cancelled') return new Error(`job ${job.id} was cancelled`);
  if (f && CALLER_MISTAKES.has(f.code))
    return new AppError(
      f.code as ErrorCode,
      'Job failed',
      f.message,
      f.field !== undefined ? [{ field: f.field, message: f.message }] : [],
    );
  return new Error(
    `job ${job.id} failed${job.deadLetter ? ` after ${job.attempts} attempts` : ''}: ${f?.message ?? 'no reason recorded'}`,
  );
}

/**
 * `--wait`: submits the job and sees it through with a progress bar, running it in this process
 * when it is due and free, following it when a server or worker took it. Returns the succeeded
 * job; throws what a failed one reports.
 */
export async function runJobHere(store: Store, submission: Submission, label: string): Promise<Job> {
  await initCompute();
  const bar = progressBar({ label });
  const settings = workerSettingsFromEnv({
    dataDir: dataDir(),
    backend: (backendInfo()?.choice ?? 'wasm') as JobBackend,
    logger: silentLogger,
  });
  try {
    const job = await runToEnd(store, settings, submission, (p) => bar.update(p));
    if (job.state !== 'succeeded') throw failedJobError(job);
    return job;
  } finally {
    bar.finish();
  }
}

/** `--detach`: queues the job for the server's worker (SQLite) or `transfer-atlas worker`s (PostgreSQL). */
export async function queueJob(store: Store, submission: Submission): Promise<Job> {
  const system = await startJobSystem(store, {
    worker: false,
    backend: 'wasm',
    dataDir: dataDir(),
    logger: silentLogger,
  });
  try {
    return await submitJob(store, system.dispatcher, submission);
  } finally {
    await system.stop(0);
  }
}

export const detachOption = () =>
  new Option(
    '--detach',
    'queue the job for a server or worker and print its id instead of running it here (`transfer-atlas jobs wait <id>` follows it)',
  );
export const backendOption = () =>
  new Option('--requires-backend <backend>', 'run only on a worker with this tensor backend (with --detach)').choices([
    'wasm',
    'tensorflow',
    'gpu',
    'cpu',
  ]);

const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));
const progressText = (job: Job) =>
  job.progress ? `${job.progress.stage} ${Math.round(job.progress.fraction * 100)}%` : '-';

function describeJob(job: Job): string {
  const rows: [string, string | number | null][] = [
    ['job', job.id],
    ['kind', job.kind],
    [
      'state',
      job.state +
        (job.deadLetter ? ' (dead letter: attempts ran out)' : '') +
        (job.cancelRequested && !isTerminal(job.state) ? ' (cancel requested)' : ''),
    ],
    [
      'progress',
      job.progress
        ? `${progressText(job)}, ${job.progress.done}/${job.progress.total}, ${job.progress.imagesPerSecond.toFixed(1)} images/s, ETA ${Math.round(job.progress.etaSeconds)} s`
        : null,
    ],
    ['result', job.resultUrl],
    ['failure', job.failure ? `${job.failure.code}: ${job.failure.message}` : null],
    ['attempts', `${job.attempts} of ${job.maxAttempts}`],
    ['requires backend', job.requiresBackend],
    ['worker', job.worker],
    ['created', when(job.createdAt)],
    ['started', when(job.startedAt)],
    ['finished', when(job.finishedAt)],
  ];
  return table(['field', 'value'], rows);
}

export function jobsCommand(): Command {
  const jobs = new Command('jobs').description('long operations (ingest, embed, refit) queued, running or finished');
  jobs
    .command('list')
    .description('jobs, newest first')
    .addOption(new Option('--state <state>').choices([...JOB_STATES]))
    .addOption(new Option('--kind <kind>').choices([...JOB_KINDS]))
    .option('--limit <n>', 'at most this many', positiveInt, 50)
    .option('--json', 'print JSON')
    .action(async (o: { state?: JobState; kind?: JobKind; limit: number; json?: boolean }) => {
      const found = await withStore((store) =>
        listJobRecords(store, {
          ...definedOnly({ state: o.state || undefined, kind: o.kind || undefined }),
          limit: o.limit,
          offset: 0,
        }),
      );
      if (o.json) return printJson(found.items.map(presentJob));
      console.log(
        table(
          ['id', 'kind', 'state', 'progress', 'attempts', 'created', 'result'],
          found.items.map((j) => [
            j.id,
            j.kind,
            j.state,
            progressText(j),
            j.attempts,
            when(j.createdAt),
            j.resultUrl ?? j.failure?.code,
          ]),
        ),
      );
    });
  jobs
    .command('show')
    .description('one job: state, progress, result or failure')
    .argument('<id>', 'job id')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const job = await withStore((store) => jobOrNotFound(store, id));
      if (o.json) return printJson(presentJob(job));
      console.log(describeJob(job));
    });
  jobs
    .command('wait')
    .description(
      'follow a job (e.g. one queued with --detach) with a progress bar until it ends; exits 1 unless it succeeded',
    )
    .argument('<id>', 'job id')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const bar = progressBar({ label: id.slice(0, 8) });
      const job = await withStore((store) => followJob(store, id, (p) => bar.update(p))).finally(() => bar.finish());
      if (o.json) printJson(presentJob(job));
      else console.log(describeJob(job));
      if (job.state !== 'succeeded') throw failedJobError(job);
    });
  jobs
    .command('cancel')
    .description('cancel a job: a queued one at once, a running one at its next heartbeat')
    .argument('<id>', 'job id')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const job = await withStore(async (store) => {
        const system = await startJobSystem(store, {
          worker: false,
          backend: 'wasm',
          dataDir: dataDir(),
          logger: silentLogger,
        });
        try {
          return await cancelJob(store, system.dispatcher, id);
        } finally {
          await system.stop(0);
        }
      });
      if (o.json) return printJson(presentJob(job));
      console.log(describeJob(job));
    });
  return jobs;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError(`'${value}' is not a TCP port (0-65535)`);
  return port;
}

/** TA_SHUTDOWN_GRACE_SECONDS: how long a stopping process lets its running job finish before handing it back. */
export function shutdownGraceMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.TA_SHUTDOWN_GRACE_SECONDS;
  if (raw === undefined || raw.trim() === '') return 30_000;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw invalid(
      `TA_SHUTDOWN_GRACE_SECONDS must be a number of seconds, 0 or more (got '${raw}')`,
      [{ field: 'TA_SHUTDOWN_GRACE_SECONDS', message: 'seconds' }],
      'TA_SHUTDOWN_GRACE_SECONDS',
    );
  return n * 1000;
}

export function workerCommand(): Command {
  return new Command('worker')
    .description(
      'run queued jobs from PostgreSQL (DATABASE_URL); start any number, on any machines sharing TA_DATA_DIR',
    )
    .option('--metrics-port <port>', 'serve Prometheus metrics on this port', parsePort)
    .action(async (o: { metricsPort?: number }) => {
      const config = storeConfigFromEnv();
      if (config.client !== 'postgres') {
        throw invalid(
          'transfer-atlas worker needs PostgreSQL (set DATABASE_URL); on the embedded SQLite store, `serve` runs the jobs',
          [{ field: 'DATABASE_URL', message: 'required' }],
          'DATABASE_URL',
        );
      }
      const grace = shutdownGraceMs();
      await initCompute();
      const backend = backendInfo()!.choice as JobBackend;
      const logger = createLogger();
      const store = await openStore(config);
      const system = await startJobSystem(store, { worker: true, backend, dataDir: dataDir(), logger });
      const metrics =
        o.metricsPort === undefined
          ? undefined
          : createServer((_req, res) => {
              void jobCounts(store).then(
                async (counts) => {
                  for (const state of JOB_STATES) jobsByState.set({ state }, counts[state] ?? 0);
                  res
                    .writeHead(200, { 'content-type': metricsRegistry.contentType })
                    .end(await metricsRegistry.metrics());
                },
                (err: Error) => res.writeHead(500).end(err.message),
              );
            }).listen(o.metricsPort);
      logger.info({ store: describeStore(config), backend }, 'worker started');
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          logger.info(
            { graceSeconds: grace / 1000 },
            'worker stopping: no new jobs; the running one finishes or is handed back',
          );
          void system
            .stop(grace)
            .then(() => store.close())
            .then(() => metrics?.close())
            .finally(resolve);
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      logger.info('worker stopped');
      // pg-boss keeps timers of its own; the queue and the store are let go, so the process ends here.
      process.exit();
    });
}
