/**
 * Jobs: the long operations (ingest, embed, refit the ranker, ...) as records that outlive the
 * request and the process that started them. Pure: states, transitions, progress and the retry
 * policy; storing and running jobs is the application layer's business.
 */

/**
 * Every kind a job can be. A kind is runnable once the application layer registers a runner for
 * it; `estimate` and `import-study` are named here so that the API and the store already accept
 * them, and their runners join when those operations exist.
 */
export const JOB_KINDS = ['ingest', 'embed', 'refit-ranker', 'estimate', 'import-study'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'cancelled']);

export const isTerminal = (state: JobState): boolean => TERMINAL_STATES.has(state);

/** The tensor backends a worker can run; a job may require one of them. */
export const JOB_BACKENDS = ['wasm', 'tensorflow', 'gpu', 'cpu'] as const;
export type JobBackend = (typeof JOB_BACKENDS)[number];

/** What the images/ and task2vec/ progress callbacks report, plus the fraction of the whole stage. */
export interface JobProgress {
  readonly stage: string;
  readonly done: number;
  readonly total: number;
  readonly fraction: number;
  readonly imagesPerSecond: number;
  readonly etaSeconds: number;
}

export interface StageReport {
  readonly stage?: string;
  readonly done: number;
  readonly total: number;
  readonly imagesPerSecond: number;
  readonly etaSeconds: number;
}

export function progressOf(report: StageReport): JobProgress {
  const fraction = report.total > 0 ? Math.min(1, Math.max(0, report.done / report.total)) : 0;
  return {
    stage: report.stage ?? 'working',
    done: report.done,
    total: report.total,
    fraction,
    imagesPerSecond: Number.isFinite(report.imagesPerSecond) ? report.imagesPerSecond : 0,
    etaSeconds: Number.isFinite(report.etaSeconds) ? report.etaSeconds : 0,
  };
}

/**
 * Why a job failed, in words a user can act on. `retryable` failures (a crash, a lost worker)
 * are tried again; the caller's mistakes (`code` other than 'internal') are not, since a second
 * attempt would fail the same way.
 */
export interface JobFailure {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
  readonly retryable: boolean;
}

export interface Job {
  readonly id: string;
  readonly kind: JobKind;
  readonly state: JobState;
  readonly params: Readonly<Record<string, unknown>>;
  readonly requiresBackend: JobBackend | null;
  readonly progress: JobProgress | null;
  readonly resultUrl: string | null;
  readonly failure: JobFailure | null;
  /** Attempts started so far; the running one included. */
  readonly attempts: number;
  readonly maxAttempts: number;
  /** True when the job failed because its retries ran out: a dead letter, left for a person to look at. */
  readonly deadLetter: boolean;
  readonly cancelRequested: boolean;
  readonly worker: string | null;
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly runAfter: number;
}

export interface RetryPolicy {
  readonly maxAttempts: number;
  /** Delay before the second attempt; each later one waits twice as long, up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 2_000, maxDelayMs: 5 * 60_000 };

/** Exponential back-off: the wait after the `attempt`-th failed attempt (1-based). */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

/** What becomes of a job whose attempt just failed. */
export type AfterFailure =
  { readonly state: 'queued'; readonly runAfter: number } | { readonly state: 'failed'; readonly deadLetter: boolean };

export function afterFailure(
  job: Pick<Job, 'attempts' | 'maxAttempts'>,
  failure: JobFailure,
  policy: RetryPolicy,
  now: number,
): AfterFailure {
  if (!failure.retryable) return { state: 'failed', deadLetter: false };
  if (job.attempts >= job.maxAttempts) return { state: 'failed', deadLetter: true };
  return { state: 'queued', runAfter: now + retryDelayMs(policy, job.attempts) };
}

/** Thrown inside a running job when it is cancelled or another worker took it over. */
export class JobInterrupted extends Error {
  override readonly name = 'JobInterrupted';
  constructor(readonly reason: 'cancelled' | 'lost-lease' | 'shutdown') {
    super(
      reason === 'cancelled'
        ? 'the job was cancelled'
        : reason === 'lost-lease'
          ? 'another worker took the job over'
          : 'the worker is shutting down',
    );
  }
}
