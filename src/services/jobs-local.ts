/**
 * The embedded worker: inside the server process, one job at a time, the queue being the jobs
 * table itself. Durable: at start-up, runs a previous process left unfinished go back to the
 * queue (or to the dead letters when out of attempts) and queued jobs run as before.
 */
import type { Knex } from 'knex';
import { nextDueJob, requeueStale, staleRunningJobs } from '../store/index.js';
import { claimAndRun, type Dispatcher, type WorkerSettings } from './jobs.js';

export class EmbeddedWorker {
  /** Aborted at shutdown: no further job is taken. */
  private readonly closing = new AbortController();
  /** Aborted when the grace runs out: the running job is handed back. */
  private readonly handBack = new AbortController();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly db: Knex,
    private readonly settings: WorkerSettings,
    /** Longest sleep between two looks at the queue when nothing wakes the worker. */
    private readonly pollMs = 1000,
  ) {}

  /** The dispatcher for submissions made in this process: they wake the worker at once. */
  readonly dispatcher: Dispatcher = {
    dispatch: async () => this.wake?.(),
    cancel: async () => undefined,
    close: async () => undefined,
  };

  async start(): Promise<void> {
    for (const job of await staleRunningJobs(this.db, Number.MAX_SAFE_INTEGER)) {
      const now = await requeueStale(this.db, job, {
        code: 'interrupted',
        message: 'the server stopped while the job ran; it was queued again',
        retryable: true,
      });
      this.settings.logger.info(
        { job: job.id, kind: job.kind, state: now },
        'job transition: interrupted run recovered',
      );
    }
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.closing.signal.aborted) {
      let ran = false;
      try {
        const job = await nextDueJob(this.db, this.settings.backend);
        if (job) {
          ran = true;
          await claimAndRun(this.db, this.settings, job.id, this.handBack.signal);
        }
      } catch (err) {
        this.settings.logger.error({ err }, 'embedded worker: could not run the next job');
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

  /**
   * Stops taking jobs; the running one has `graceMs` to finish, and is then handed back to the
   * queue, to run again at the next start.
   */
  async stop(graceMs = 0): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    this.closing.abort();
    this.wake?.();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([loop, grace]);
    clearTimeout(timer);
    this.handBack.abort();
    await loop;
  }
}
