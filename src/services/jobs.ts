/**
 * Running jobs: the attempt executor shared by the embedded worker (SQLite, or a single machine)
 * and the distributed one (pg-boss over PostgreSQL), and the submission side the API and CLI use.
 *
 * At-least-once, effects once: a job may be delivered again after a crash, but its effects and
 * its success commit in one transaction fenced by the attempt number, so a second delivery finds
 * the job succeeded and a superseded attempt cannot commit.
 */
import { hostname } from 'node:os';
import type { Knex } from 'knex';
import { AppError } from '../errors.js';
import {
  afterFailure,
  DEFAULT_RETRY,
  isTerminal,
  JobInterrupted,
  progressOf,
  type Job,
  type JobBackend,
  type JobFailure,
  type JobKind,
  type JobProgress,
  type RetryPolicy,
} from '../jobs/index.js';
import {
  claimJob,
  countJobsByState,
  endAttempt,
  getJob,
  heartbeat,
  insertJob,
  latestRanker,
  listJobs,
  markSucceeded,
  requestCancel,
  type JobFilter,
  type Outcome,
} from '../store/index.js';
import type { Db } from './session.js';
import { notFound } from '../errors.js';
import { runnerFor } from './job-runners.js';
import { jobDuration, jobFailures, type Logger } from './telemetry.js';
import { definedOnly } from '../defaults.js';

export interface WorkerSettings {
  readonly dataDir: string;
  readonly backend: JobBackend;
  readonly retry: RetryPolicy;
  /** How often a running job writes its heartbeat and progress, and looks for a cancellation. */
  readonly heartbeatMs: number;
  /** A running job whose heartbeat is older than this belongs to a dead worker. */
  readonly staleAfterMs: number;
  readonly logger: Logger;
  /** Names this worker in the jobs it runs: host and process. */
  readonly name: string;
  /** Follow-up work once a job succeeded: the refit that new evidence calls for. */
  readonly afterSuccess?: (job: Job) => Promise<void>;
  /** Sees every progress report of the jobs this worker runs, e.g. to draw a bar. */
  readonly onProgress?: (progress: JobProgress, job: Job) => void;
}

function positiveNumber(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new AppError(
      'invalid-request',
      'Invalid configuration',
      `${key} must be a positive number (got '${raw}')`,
      [{ field: key, message: 'positive number' }],
      key,
    );
  return n;
}

/**
 * TA_JOB_ATTEMPTS, TA_JOB_RETRY_DELAY_SECONDS, TA_JOB_HEARTBEAT_SECONDS and TA_JOB_STALE_SECONDS
 * from the environment. The stale limit must exceed the longest stretch a job keeps its process's
 * event loop busy (the classifier head is fitted on the main thread), or live runs look dead.
 */
export function workerSettingsFromEnv(
  base: Pick<WorkerSettings, 'dataDir' | 'backend' | 'logger'>,
  env: NodeJS.ProcessEnv = process.env,
): WorkerSettings {
  const heartbeatMs = positiveNumber(env, 'TA_JOB_HEARTBEAT_SECONDS', 5) * 1000;
  return {
    ...base,
    retry: {
      ...DEFAULT_RETRY,
      maxAttempts: Math.round(positiveNumber(env, 'TA_JOB_ATTEMPTS', DEFAULT_RETRY.maxAttempts)),
      baseDelayMs: positiveNumber(env, 'TA_JOB_RETRY_DELAY_SECONDS', DEFAULT_RETRY.baseDelayMs / 1000) * 1000,
    },
    heartbeatMs,
    staleAfterMs: Math.max(3 * heartbeatMs, positiveNumber(env, 'TA_JOB_STALE_SECONDS', 60) * 1000),
    name: `${hostname()}:${process.pid}`,
  };
}

/** How a caller's mistake or a crash reads in the job's record. */
export function failureOf(err: unknown): JobFailure {
  if (err instanceof AppError) {
    const field = err.field;
    return { code: err.code, message: err.message, ...definedOnly({ field }), retryable: false };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message: `${message} (will be retried while attempts remain)`, retryable: true };
}

export interface Submission {
  readonly kind: JobKind;
  readonly params: Record<string, unknown>;
  readonly requiresBackend?: JobBackend;
}

/** Where jobs go once recorded: the embedded worker's wake-up, or pg-boss. */
export interface Dispatcher {
  dispatch(job: Job): Promise<void>;
  cancel(job: Job): Promise<void>;
  close(): Promise<void>;
}

/** Kinds whose success changes the evidence the ranker is fitted on. */
const EVIDENCE_KINDS: ReadonlySet<JobKind> = new Set(['ingest', 'embed', 'import-study']);

/**
 * Queues a refit after a job that changed the evidence, unless one is already waiting: the fit
 * happens in a job, and the next recommendation finds it stored.
 */
export function refitAfter(db: Knex, dispatcher: Dispatcher): (job: Job) => Promise<void> {
  return async (job) => {
    if (!EVIDENCE_KINDS.has(job.kind)) return;
    if ((await listJobs(db, { kind: 'refit-ranker', state: 'queued', limit: 1, offset: 0 })).total > 0) return;
    await submitJob({ knex: db }, dispatcher, { kind: 'refit-ranker', params: {} });
  };
}

/**
 * Queues a refit when the latest model has no stored evaluation and no refit is waiting or running:
 * the server calls it at start-up, so that after `seed` on a clean store GET /v1/evaluation soon has
 * one to serve. Says whether it queued one.
 */
export async function queueMissingEvaluation(db: Knex, dispatcher: Dispatcher): Promise<boolean> {
  const latest = await latestRanker(db);
  if (latest === undefined || (latest.summary as { evaluation?: unknown }).evaluation !== undefined) return false;
  for (const state of ['queued', 'running'] as const)
    if ((await listJobs(db, { kind: 'refit-ranker', state, limit: 1, offset: 0 })).total > 0) return false;
  await submitJob({ knex: db }, dispatcher, { kind: 'refit-ranker', params: {} });
  return true;
}

/** Checks the parameters, records the job queued, and hands it to the dispatcher. */
export async function submitJob(
  { knex: db }: Db,
  dispatcher: Dispatcher,
  submission: Submission,
  retry: RetryPolicy = DEFAULT_RETRY,
): Promise<Job> {
  const runner = runnerFor(submission.kind);
  await runner.check({ knex: db }, submission.params);
  const job = await insertJob(db, {
    kind: submission.kind,
    params: submission.params,
    requiresBackend: submission.requiresBackend ?? null,
    maxAttempts: retry.maxAttempts,
  });
  await dispatcher.dispatch(job);
  return job;
}

export async function jobOrNotFound({ knex: db }: Db, id: string): Promise<Job> {
  const job = await getJob(db, id);
  if (!job) throw notFound('job', id);
  return job;
}

export async function cancelJob(db: Db, dispatcher: Dispatcher, id: string): Promise<Job> {
  const before = await jobOrNotFound(db, id);
  if (isTerminal(before.state)) return before;
  const after = (await requestCancel(db.knex, id))!;
  await dispatcher.cancel(after);
  if (isTerminal(after.state)) await runnerFor(after.kind).cleanup?.(after.params);
  return after;
}

/** Jobs, newest first. */
export function listJobRecords({ knex }: Db, filter: JobFilter): Promise<{ items: Job[]; total: number }> {
  return listJobs(knex, filter);
}

/** How many jobs are in each state; `queued` is the queue depth. */
export function jobCounts({ knex }: Db): Promise<Record<string, number>> {
  return countJobsByState(knex);
}

/** The job as it stands, or undefined once it is gone. */
export function jobById({ knex }: Db, id: string): Promise<Job | undefined> {
  return getJob(knex, id);
}

/**
 * The CLI's `--wait`: submits the job and sees it to its end. Whenever it is due and free this
 * process runs it (so the CLI works with no server); otherwise it follows the job a server or
 * worker took. `onProgress` sees the progress either way.
 */
export async function runToEnd(
  db: Db,
  settings: WorkerSettings,
  submission: Submission,
  onProgress: (p: JobProgress) => void,
): Promise<Job> {
  const here: WorkerSettings = { ...settings, onProgress };
  const never = new AbortController().signal;
  const noDispatch: Dispatcher = {
    dispatch: async () => undefined,
    cancel: async () => undefined,
    close: async () => undefined,
  };
  let job = await submitJob(db, noDispatch, submission, settings.retry);
  for (;;) {
    job = await jobOrNotFound(db, job.id);
    if (isTerminal(job.state)) return job;
    if (job.state === 'queued' && job.runAfter <= Date.now()) {
      await claimAndRun(db.knex, here, job.id, never);
      continue;
    }
    if (job.progress) onProgress(job.progress);
    const wait = job.state === 'queued' ? Math.min(1000, Math.max(50, job.runAfter - Date.now())) : 500;
    await new Promise((r) => setTimeout(r, wait));
  }
}

/** Follows a job another process runs until it ends, reporting its progress as its heartbeats record it. */
export async function followJob(db: Db, id: string, onProgress: (p: JobProgress) => void, pollMs = 500): Promise<Job> {
  for (;;) {
    const job = await jobOrNotFound(db, id);
    if (job.progress) onProgress(job.progress);
    if (isTerminal(job.state)) return job;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** What an attempt came to, for the dispatcher: pg-boss retries only `retry`. */
export type AttemptResult = 'succeeded' | 'failed' | 'cancelled' | 'retry' | 'handed-back' | 'not-ours';

/**
 * Runs one attempt of a job this worker has claimed (`attempt` is the lease's fencing token).
 * `stop` aborts it as a hand-back: the worker is shutting down and another will take it.
 */
export async function runAttempt(
  db: Knex,
  settings: WorkerSettings,
  job: Job,
  attempt: number,
  stop: AbortSignal,
): Promise<AttemptResult> {
  const log = settings.logger.child({ job: job.id, kind: job.kind, attempt });
  const runner = runnerFor(job.kind);
  const started = performance.now();
  let interrupted: JobInterrupted | undefined;
  let latest: JobProgress | null = null;
  let completed = false;
  const onStop = (): void => {
    interrupted ??= new JobInterrupted('shutdown');
  };
  stop.addEventListener('abort', onStop);
  const beat = setInterval(() => {
    heartbeat(db, job.id, attempt, latest)
      .then((h) => {
        if (!h.held) interrupted ??= new JobInterrupted('lost-lease');
        else if (h.cancelRequested) interrupted ??= new JobInterrupted('cancelled');
      })
      .catch((err: unknown) => log.warn({ err }, 'heartbeat failed'));
  }, settings.heartbeatMs);
  log.info({ state: 'running', worker: settings.name }, 'job transition');
  const finish = (outcome: string): void => {
    jobDuration.observe({ kind: job.kind, outcome }, (performance.now() - started) / 1000);
  };
  try {
    await runner.run(
      {
        db: { knex: db },
        dataDir: settings.dataDir,
        job: { ...job, attempts: attempt },
        progress(report) {
          if (interrupted) throw interrupted;
          latest = progressOf(report);
          settings.onProgress?.(latest, job);
        },
        async complete(trx, resultUrl) {
          if (interrupted) throw interrupted;
          if (!(await markSucceeded(trx, job.id, attempt, resultUrl, latest))) throw new JobInterrupted('lost-lease');
          completed = true;
        },
      },
      job.params as never,
    );
    if (!completed) throw new Error(`the ${job.kind} runner returned without completing the job`);
    finish('succeeded');
    log.info({ state: 'succeeded', seconds: (performance.now() - started) / 1000 }, 'job transition');
    await runner.cleanup?.(job.params);
    await settings
      .afterSuccess?.(job)
      .catch((err: unknown) => log.error({ err }, 'follow-up of a succeeded job failed'));
    return 'succeeded';
  } catch (err) {
    const why = err instanceof JobInterrupted ? err : interrupted;
    if (why?.reason === 'lost-lease') {
      finish('superseded');
      log.warn({ state: 'superseded' }, 'job transition: another worker holds the job');
      return 'not-ours';
    }
    let outcome: Outcome;
    if (why?.reason === 'cancelled') outcome = { state: 'cancelled' };
    else if (why?.reason === 'shutdown')
      outcome = {
        state: 'queued',
        runAfter: Date.now(),
        handedBack: true,
        failure: { code: 'interrupted', message: 'the worker shut down; the job was handed back', retryable: true },
      };
    else {
      const failure = failureOf(err);
      const next = afterFailure(
        { attempts: attempt, maxAttempts: job.maxAttempts },
        failure,
        settings.retry,
        Date.now(),
      );
      outcome = next.state === 'queued' ? { ...next, failure } : { ...next, failure };
      jobFailures.inc({ kind: job.kind, retried: String(next.state === 'queued') });
    }
    if (!(await endAttempt(db, job.id, attempt, outcome))) return 'not-ours';
    finish(outcome.state === 'queued' ? (why ? 'handed-back' : 'retry') : outcome.state);
    log[outcome.state === 'failed' ? 'error' : 'info'](
      {
        state: outcome.state,
        ...('failure' in outcome ? { failure: outcome.failure } : {}),
        ...(outcome.state === 'failed' ? { deadLetter: outcome.deadLetter } : {}),
      },
      'job transition',
    );
    if (outcome.state === 'queued') return why ? 'handed-back' : 'retry';
    await runner.cleanup?.(job.params);
    return outcome.state;
  } finally {
    clearInterval(beat);
    stop.removeEventListener('abort', onStop);
  }
}

/** Claims `id` for this worker and runs one attempt; `not-ours` when another holds it or it is done. */
export async function claimAndRun(
  db: Knex,
  settings: WorkerSettings,
  id: string,
  stop: AbortSignal,
): Promise<AttemptResult> {
  const attempt = await claimJob(db, id, settings.name, Date.now() - settings.staleAfterMs);
  if (attempt === undefined) return 'not-ours';
  const job = (await getJob(db, id))!;
  return runAttempt(db, settings, job, attempt, stop);
}
