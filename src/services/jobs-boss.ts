/**
 * The distributed queue: pg-boss over the same PostgreSQL database. pg-boss delivers (SKIP LOCKED
 * fetches, retries with exponential back-off, expiry, a dead-letter queue); the jobs table keeps
 * what users see (state, progress, result) and fences every attempt, so that a second delivery of
 * a job that already ran, or runs elsewhere, does nothing.
 *
 * Queues: `ta-jobs` for any worker, `ta-jobs-<backend>` for jobs that require one backend; a
 * worker takes from the queue of its own backend first.
 */
import pg from 'pg';
import PgBoss from 'pg-boss';
import type { Knex } from 'knex';
import { JOB_BACKENDS, type Job, type JobBackend } from '../jobs/index.js';
import { requeueStale, staleRunningJobs } from '../store/index.js';
import type { StoreConfig } from '../store/index.js';
import { claimAndRun, type Dispatcher, type WorkerSettings } from './jobs.js';

const ANY = 'ta-jobs';
const DEAD = 'ta-jobs-dead';
const queueOf = (backend: JobBackend | null): string => (backend === null ? ANY : `${ANY}-${backend}`);

/** pg-boss keeps its tables in a schema of its own beside the store's. */
export function bossSchema(config: Extract<StoreConfig, { client: 'postgres' }>): string {
  return config.schema ? `${config.schema}_pgboss` : 'pgboss';
}

export interface BossOptions {
  /** Seconds before pg-boss's first redelivery of a failed attempt; later ones back off exponentially. */
  readonly retryDelaySeconds: number;
  /** Redeliveries pg-boss allows; the jobs table's own attempt limit is reached first. */
  readonly retryLimit: number;
}

/**
 * Starts pg-boss and makes sure its queues exist. Processes starting together on a fresh database
 * (an API replica and workers) take turns under an advisory lock: pg-boss's own installation and
 * its queue creation (a partition of one shared table each) deadlock when run concurrently.
 */
export async function startBoss(
  config: Extract<StoreConfig, { client: 'postgres' }>,
  options: BossOptions,
): Promise<PgBoss> {
  const schema = bossSchema(config);
  const boss = new PgBoss({ connectionString: config.connectionString, schema, max: 4 });
  boss.on('error', (err) => process.stderr.write(`pg-boss: ${err.message}\n`));
  const lock = new pg.Client({ connectionString: config.connectionString });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock(hashtext($1))', [`transfer-atlas set-up ${schema}`]);
    await boss.start();
    if (!(await boss.getQueue(DEAD))) await boss.createQueue(DEAD);
    for (const name of [ANY, ...JOB_BACKENDS.map((b) => queueOf(b))]) {
      if (await boss.getQueue(name)) continue;
      await boss.createQueue(name, {
        name,
        retryLimit: options.retryLimit,
        retryDelay: options.retryDelaySeconds,
        retryBackoff: true,
        // The longest pg-boss allows; a dead worker is noticed long before by its missing heartbeat.
        expireInSeconds: 23 * 3600,
        deadLetter: DEAD,
      });
    }
  } catch (err) {
    // A half-started pg-boss keeps timers and connections that would hold the process open.
    await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
    throw err;
  } finally {
    // Ending the session releases the advisory lock.
    await lock.end();
  }
  return boss;
}

export function bossDispatcher(boss: PgBoss): Dispatcher {
  return {
    async dispatch(job: Job) {
      await boss.send(queueOf(job.requiresBackend), { id: job.id });
    },
    // A running job stops at its worker's next heartbeat; a queued one is already cancelled in the
    // jobs table, and its delivery finds it so. Nothing to tell pg-boss.
    cancel: async () => undefined,
    close: () => boss.stop({ graceful: false, wait: true }),
  };
}

/**
 * `transfer-atlas worker`: one job at a time from pg-boss, a heartbeat while it runs, and a
 * watch for runs whose worker died (no heartbeat), which go back to the queue.
 */
export class BossWorker {
  private readonly closing = new AbortController();
  private readonly handBack = new AbortController();
  private loop: Promise<void> | undefined;
  private reaper: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly db: Knex,
    private readonly boss: PgBoss,
    private readonly settings: WorkerSettings,
    private readonly pollMs = 1000,
  ) {}

  start(): void {
    this.reaper = setInterval(() => void this.reap(), this.settings.heartbeatMs);
    this.loop = this.run();
  }

  private async reap(): Promise<void> {
    try {
      for (const job of await staleRunningJobs(this.db, Date.now() - this.settings.staleAfterMs)) {
        const now = await requeueStale(this.db, job, {
          code: 'worker-lost',
          message: `worker ${job.worker ?? 'unknown'} stopped answering while running the job; it was queued again`,
          retryable: true,
        });
        if (now === undefined) continue;
        this.settings.logger.warn(
          { job: job.id, kind: job.kind, state: now, lostWorker: job.worker },
          'job transition: run of a lost worker recovered',
        );
        if (now === 'queued') await this.boss.send(queueOf(job.requiresBackend), { id: job.id });
      }
    } catch (err) {
      this.settings.logger.error({ err }, 'worker: could not look for lost runs');
    }
  }

  private async run(): Promise<void> {
    const queues = [queueOf(this.settings.backend), ANY];
    while (!this.closing.signal.aborted) {
      let ran = false;
      try {
        for (const queue of queues) {
          const [delivery] = await this.boss.fetch<{ id: string }>(queue, { batchSize: 1 });
          if (!delivery) continue;
          ran = true;
          const result = await claimAndRun(this.db, this.settings, delivery.data.id, this.handBack.signal);
          // pg-boss redelivers a failed delivery after its back-off; every other outcome is final for this delivery.
          if (result === 'retry' || result === 'handed-back')
            await this.boss.fail(queue, delivery.id, { reason: result });
          else await this.boss.complete(queue, delivery.id, { outcome: result });
          break;
        }
      } catch (err) {
        this.settings.logger.error({ err }, 'worker: could not run the next job');
      }
      if (!ran) await this.sleep();
    }
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake?.(), this.pollMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** Stops taking jobs; the running one has `graceMs` to finish, then goes back to the queue. */
  async stop(graceMs: number): Promise<void> {
    clearInterval(this.reaper);
    const loop = this.loop;
    if (!loop) return;
    this.closing.abort();
    this.wake?.();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([loop, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    this.handBack.abort();
    await loop;
  }
}
