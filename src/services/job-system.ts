/**
 * The jobs side of a process, chosen by the store: on SQLite the embedded worker (the jobs table
 * is the queue); on PostgreSQL pg-boss, with a worker in this process only when asked for
 * (`serve` by default, `transfer-atlas worker` always), so that API processes can be stateless
 * replicas.
 */
import type { Store } from '../store/index.js';
import type { JobBackend } from '../jobs/index.js';
import { BossWorker, bossDispatcher, startBoss } from './jobs-boss.js';
import { EmbeddedWorker } from './jobs-local.js';
import { refitAfter, workerSettingsFromEnv, type Dispatcher } from './jobs.js';
import type { Logger } from './telemetry.js';

export interface JobSystem {
  readonly dispatcher: Dispatcher;
  /** Stops taking jobs, gives the running one `graceMs`, hands it back, and lets go of the queue. */
  stop(graceMs: number): Promise<void>;
}

export interface JobSystemOptions {
  /** Run jobs in this process. */
  readonly worker: boolean;
  readonly backend: JobBackend;
  readonly dataDir: string;
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
}

export async function startJobSystem(store: Store, options: JobSystemOptions): Promise<JobSystem> {
  const settings = workerSettingsFromEnv(options, options.env);
  const config = store.config;
  if (config.client === 'sqlite') {
    // Only the process that serves (or a `worker`) runs jobs; a CLI call that only queues one leaves it to them.
    if (!options.worker)
      return {
        dispatcher: { dispatch: async () => undefined, cancel: async () => undefined, close: async () => undefined },
        stop: async () => undefined,
      };
    const worker: EmbeddedWorker = new EmbeddedWorker(store.knex, {
      ...settings,
      afterSuccess: (job) => refitAfter(store.knex, worker.dispatcher)(job),
    });
    await worker.start();
    return { dispatcher: worker.dispatcher, stop: (graceMs) => worker.stop(graceMs) };
  }
  const boss = await startBoss(config, {
    retryDelaySeconds: settings.retry.baseDelayMs / 1000,
    retryLimit: settings.retry.maxAttempts * 2,
  });
  const dispatcher = bossDispatcher(boss);
  const worker = options.worker
    ? new BossWorker(store.knex, boss, { ...settings, afterSuccess: refitAfter(store.knex, dispatcher) })
    : undefined;
  worker?.start();
  return {
    dispatcher,
    async stop(graceMs) {
      await worker?.stop(graceMs);
      await dispatcher.close();
    },
  };
}
