import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Job, JobBackend, JobFailure, JobKind, JobProgress, JobState } from '../jobs/index.js';
import { definedOnly } from '../defaults.js';

interface JobRow {
  id: string;
  kind: string;
  state: string;
  params: string;
  requires_backend: string | null;
  progress: string | null;
  result_url: string | null;
  failure: string | null;
  attempts: number;
  max_attempts: number;
  dead_letter: boolean | number;
  cancel_requested: boolean | number;
  worker: string | null;
  created_at: string | number;
  started_at: string | number | null;
  finished_at: string | number | null;
  run_after: string | number;
  heartbeat_at: string | number | null;
}

const time = (v: string | number | null): number | null => (v === null ? null : Number(v));

function toJob(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind as JobKind,
    state: row.state as JobState,
    params: JSON.parse(row.params) as Record<string, unknown>,
    requiresBackend: row.requires_backend as JobBackend | null,
    progress: row.progress === null ? null : (JSON.parse(row.progress) as JobProgress),
    resultUrl: row.result_url,
    failure: row.failure === null ? null : (JSON.parse(row.failure) as JobFailure),
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    deadLetter: Boolean(row.dead_letter),
    cancelRequested: Boolean(row.cancel_requested),
    worker: row.worker,
    createdAt: Number(row.created_at),
    startedAt: time(row.started_at),
    finishedAt: time(row.finished_at),
    runAfter: Number(row.run_after),
  };
}

export interface NewJob {
  readonly kind: JobKind;
  readonly params: Readonly<Record<string, unknown>>;
  readonly requiresBackend?: JobBackend | null;
  readonly maxAttempts: number;
}

export async function insertJob(db: Knex, job: NewJob, now = Date.now()): Promise<Job> {
  const id = randomUUID();
  await db('jobs').insert({
    id,
    kind: job.kind,
    state: 'queued',
    params: JSON.stringify(job.params),
    requires_backend: job.requiresBackend ?? null,
    max_attempts: job.maxAttempts,
    created_at: now,
    run_after: now,
  });
  return (await getJob(db, id))!;
}

export async function getJob(db: Knex, id: string): Promise<Job | undefined> {
  const row = (await db('jobs').where({ id }).first()) as JobRow | undefined;
  return row ? toJob(row) : undefined;
}

export interface JobFilter {
  readonly state?: JobState;
  readonly kind?: JobKind;
  readonly limit: number;
  readonly offset: number;
}

/** Newest first. */
export async function listJobs(db: Knex, filter: JobFilter): Promise<{ items: Job[]; total: number }> {
  const where = (q: Knex.QueryBuilder): Knex.QueryBuilder => {
    if (filter.state !== undefined) q.where('state', filter.state);
    if (filter.kind !== undefined) q.where('kind', filter.kind);
    return q;
  };
  const rows = (await where(db('jobs').select('*'))
    .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id' }])
    .limit(filter.limit)
    .offset(filter.offset)) as JobRow[];
  const [{ n }] = (await where(db('jobs').count({ n: '*' }))) as [{ n: string | number }];
  return { items: rows.map(toJob), total: Number(n) };
}

export async function countJobsByState(db: Knex): Promise<Record<string, number>> {
  const rows = (await db('jobs').select('state').count({ n: '*' }).groupBy('state')) as {
    state: string;
    n: string | number;
  }[];
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

/** The oldest queued job that is due and that a worker with `backend` may run. */
export async function nextDueJob(db: Knex, backend: JobBackend, now = Date.now()): Promise<Job | undefined> {
  const row = (await db('jobs')
    .where('state', 'queued')
    .andWhere('run_after', '<=', now)
    .andWhere((q) => q.whereNull('requires_backend').orWhere('requires_backend', backend))
    .orderBy([{ column: 'run_after' }, { column: 'created_at' }])
    .first()) as JobRow | undefined;
  return row ? toJob(row) : undefined;
}

/**
 * Takes the lease on a job: queued, or running under a worker whose heartbeat is older than
 * `staleBefore`. Returns the attempt number, the fencing token every later write must present,
 * or undefined when the job is not this worker's to run.
 */
export async function claimJob(
  db: Knex,
  id: string,
  worker: string,
  staleBefore: number,
  now = Date.now(),
): Promise<number | undefined> {
  // The update below is a compare-and-set on `attempts`, so two claimers cannot both win.
  return db.transaction(async (trx) => {
    const row = (await trx('jobs').where({ id }).first()) as JobRow | undefined;
    if (!row || row.cancel_requested) return undefined;
    const stale = row.state === 'running' && (row.heartbeat_at === null || Number(row.heartbeat_at) < staleBefore);
    if (row.state !== 'queued' && !stale) return undefined;
    const attempt = row.attempts + 1;
    const changed = await trx('jobs').where({ id, attempts: row.attempts }).update({
      state: 'running',
      attempts: attempt,
      worker,
      started_at: now,
      heartbeat_at: now,
      failure: null,
      progress: null,
    });
    return changed === 1 ? attempt : undefined;
  });
}

/**
 * The running worker's sign of life, with its latest progress. Answers whether the lease still
 * holds and whether someone asked to cancel.
 */
export async function heartbeat(
  db: Knex,
  id: string,
  attempt: number,
  progress: JobProgress | null,
  now = Date.now(),
): Promise<{ held: boolean; cancelRequested: boolean }> {
  const changed = await db('jobs')
    .where({ id, attempts: attempt, state: 'running' })
    .update({
      heartbeat_at: now,
      ...definedOnly({ progress: progress === null ? undefined : JSON.stringify(progress) }),
    });
  if (changed !== 1) return { held: false, cancelRequested: false };
  const row = (await db('jobs').where({ id }).select('cancel_requested').first()) as Pick<JobRow, 'cancel_requested'>;
  return { held: true, cancelRequested: Boolean(row.cancel_requested) };
}

/**
 * Marks the attempt succeeded. Run inside the transaction that wrote the job's effects: when the
 * lease was lost (0 rows), the caller throws and the effects roll back with it.
 */
export async function markSucceeded(
  trx: Knex,
  id: string,
  attempt: number,
  resultUrl: string | null,
  progress: JobProgress | null,
  now = Date.now(),
): Promise<boolean> {
  const changed = await trx('jobs')
    .where({ id, attempts: attempt, state: 'running' })
    .update({
      state: 'succeeded',
      result_url: resultUrl,
      finished_at: now,
      heartbeat_at: null,
      ...definedOnly({ progress: progress === null ? undefined : JSON.stringify(progress) }),
    });
  return changed === 1;
}

export type Outcome =
  | { readonly state: 'queued'; readonly runAfter: number; readonly failure: JobFailure; readonly handedBack?: boolean }
  | { readonly state: 'failed'; readonly deadLetter: boolean; readonly failure: JobFailure }
  | { readonly state: 'cancelled' };

/** Ends the attempt other than by success, if the lease is still this worker's. */
export async function endAttempt(
  db: Knex,
  id: string,
  attempt: number,
  outcome: Outcome,
  now = Date.now(),
): Promise<boolean> {
  const base = { heartbeat_at: null, worker: null };
  const update =
    outcome.state === 'queued'
      ? {
          ...base,
          state: 'queued',
          run_after: outcome.runAfter,
          failure: JSON.stringify(outcome.failure),
          // A run handed back at shutdown did not fail, so it does not use up one of the job's attempts.
          ...definedOnly({ max_attempts: outcome.handedBack ? db.raw('max_attempts + 1') : undefined }),
        }
      : outcome.state === 'failed'
        ? {
            ...base,
            state: 'failed',
            dead_letter: outcome.deadLetter,
            failure: JSON.stringify(outcome.failure),
            finished_at: now,
          }
        : { ...base, state: 'cancelled', finished_at: now };
  const changed = await db('jobs').where({ id, attempts: attempt, state: 'running' }).update(update);
  return changed === 1;
}

/**
 * Asks for a job to stop: a queued one is cancelled at once, a running one when its worker next
 * beats. Returns the job as it stands afterwards; a finished job is left alone.
 */
export async function requestCancel(db: Knex, id: string, now = Date.now()): Promise<Job | undefined> {
  await db('jobs')
    .where({ id, state: 'queued' })
    .update({ state: 'cancelled', cancel_requested: true, finished_at: now });
  await db('jobs').where({ id, state: 'running' }).update({ cancel_requested: true });
  return getJob(db, id);
}

/** Running jobs whose worker has not beaten since `staleBefore`: it died or lost its database. */
export async function staleRunningJobs(db: Knex, staleBefore: number): Promise<Job[]> {
  const rows = (await db('jobs')
    .where('state', 'running')
    .andWhere((q) => q.whereNull('heartbeat_at').orWhere('heartbeat_at', '<', staleBefore))) as JobRow[];
  return rows.map(toJob);
}

/**
 * Puts a stale run back in the queue (or fails it when its attempts ran out), keyed by the attempt
 * seen, so that two processes noticing the same dead worker do it once.
 */
export async function requeueStale(
  db: Knex,
  job: Job,
  failure: JobFailure,
  now = Date.now(),
): Promise<'queued' | 'failed' | undefined> {
  const exhausted = job.attempts >= job.maxAttempts;
  const changed = await db('jobs')
    .where({ id: job.id, attempts: job.attempts, state: 'running' })
    .update(
      exhausted
        ? {
            state: 'failed',
            dead_letter: true,
            failure: JSON.stringify(failure),
            finished_at: now,
            heartbeat_at: null,
            worker: null,
          }
        : { state: 'queued', run_after: now, failure: JSON.stringify(failure), heartbeat_at: null, worker: null },
    );
  if (changed !== 1) return undefined;
  return exhausted ? 'failed' : 'queued';
}
