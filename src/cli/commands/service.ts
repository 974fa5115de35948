import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { createApp, createHttpServer, securityConfigFromEnv } from '../../api/index.js';
import { backendInfo, initCompute } from '../../compute/index.js';
import { PACKAGE_ROOT, registryDir } from '../../paths.js';
import {
  describeStore,
  ingestionConfigFromEnv,
  migrate,
  openStore,
  refitRanker,
  seedRegistry,
  storeConfigFromEnv,
  withStore,
  type FittedRanker,
} from '../../services/index.js';
import { sweepLeftovers } from '../../images/index.js';
import { invalid } from '../../errors.js';
import { printJson } from '../output.js';
import type { JobBackend } from '../../jobs/index.js';
import { startJobSystem } from '../../services/job-system.js';
import { queueMissingEvaluation } from '../../services/jobs.js';
import { createLogger } from '../../services/telemetry.js';
import { detachOption, queueJob, shutdownGraceMs } from './jobs.js';
import { presentJob } from '../../presenters/jobs.js';

export const VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

/** How long requests in flight may take to finish after SIGTERM before their connections are cut. */
export const SHUTDOWN_GRACE_MS = 10_000;

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the HTTP API (migrates the store first)')
    .option('--port <port>', 'TCP port', (v) => parsePort(v), Number(process.env.PORT ?? 8080))
    .option('--host <host>', 'address to listen on', process.env.HOST ?? '127.0.0.1')
    .option('--seed', 'load the dataset registry first (idempotent)')
    .option('--no-worker', 'run no jobs in this process (PostgreSQL: leave them to `transfer-atlas worker`s)')
    .action(async (opts: { port: number; host: string; seed?: boolean; worker: boolean }) => {
      const config = storeConfigFromEnv();
      // Read before opening anything, so that a bad TA_MAX_UPLOAD_BYTES stops the start, not a later upload.
      const ingestion = ingestionConfigFromEnv();
      const security = securityConfigFromEnv();
      const grace = shutdownGraceMs();
      // The backend is chosen (and logged) once at start-up, so that health reports it and a bad TA_BACKEND stops the start.
      await initCompute();
      const store = await openStore(config);
      reportSwept(await sweepLeftovers(ingestion.dataDir));
      if (opts.seed) {
        const summary = await seedRegistry(store, registryDir());
        console.log(
          `registry: ${summary.datasets.created.length + summary.datasets.updated.length + summary.datasets.unchanged.length} datasets, ${summary.results.added + summary.results.unchanged} transfer results`,
        );
        console.log(rankerLine(await refitRanker(store)));
      }
      const logger = createLogger();
      const jobs = await startJobSystem(store, {
        worker: opts.worker,
        backend: backendInfo()!.choice as JobBackend,
        dataDir: ingestion.dataDir,
        logger,
      });
      if (await queueMissingEvaluation(store.knex, jobs.dispatcher))
        console.log('ranker evaluation: queued as a refit-ranker job (GET /v1/evaluation serves it once done)');
      const app = createApp(
        {
          store,
          version: VERSION,
          backend: backendInfo,
          ingestion,
          jobs: jobs.dispatcher,
          logger,
        },
        { security },
      );
      // Half-open connections (headers never finished) and requests that trickle in are answered 408 and closed at
      // their deadline.
      const server = createHttpServer(app, security).listen(opts.port, opts.host);
      // A port in use (or not ours to take) is the caller's mistake: exit 2 naming it, never a silent non-listening process.
      await new Promise<void>((resolve, reject) => {
        server.once('listening', resolve);
        server.once('error', (e: NodeJS.ErrnoException) => {
          void jobs.stop(0).then(() => store.close());
          reject(
            invalid(
              `cannot listen on ${opts.host}:${opts.port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : (e.code ?? e.message)}`,
              [{ field: 'port', message: e.code ?? 'cannot listen' }],
              'port',
            ),
          );
        });
      });
      console.log(
        `transfer-atlas ${VERSION} listening on http://${opts.host}:${opts.port} (store ${describeStore(config)})`,
      );
      // On SIGTERM idle connections close at once and busy ones get SHUTDOWN_GRACE_MS to finish.
      // Stop answering, then stop the worker (the running job finishes within the grace or goes back to the queue).
      const stop = () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
        // pg-boss keeps timers of its own; once the queue and the store are let go there is nothing left to wait for.
        void Promise.all([closed, jobs.stop(grace)])
          .then(() => store.close())
          .finally(() => process.exit());
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

function reportSwept(removed: readonly string[]): void {
  if (removed.length > 0)
    console.log(`removed ${removed.length} folder(s) and file(s) left by interrupted ingestions or uploads`);
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError(`'${value}' is not a TCP port (0-65535)`);
  return port;
}

export function migrateCommand(): Command {
  return new Command('migrate').description('bring the store schema up to date').action(async () => {
    const config = storeConfigFromEnv();
    const applied = await withStore((store) => migrate(store));
    reportSwept(await sweepLeftovers(ingestionConfigFromEnv().dataDir));
    console.log(
      applied.length === 0
        ? `${describeStore(config)}: schema already up to date`
        : `${describeStore(config)}: applied ${applied.join(', ')}`,
    );
  });
}

export function seedCommand(): Command {
  return new Command('seed')
    .description('load the dataset registry and published results into the store (idempotent)')
    .option('--registry <dir>', 'registry folder', registryDir())
    .option('--json', 'print JSON')
    .action(async (opts: { registry: string; json?: boolean }) => {
      const { summary, ranker } = await withStore(async (store) => {
        const summary = await seedRegistry(store, opts.registry);
        return { summary, ranker: await refitRanker(store) };
      });
      if (opts.json) return printJson({ ...summary, ranker: { version: ranker.version, refitted: ranker.refitted } });
      const d = summary.datasets;
      console.log(
        `datasets: ${d.created.length} created, ${d.updated.length} updated, ${d.unchanged.length} unchanged`,
      );
      console.log(`transfer results: ${summary.results.added} added, ${summary.results.unchanged} unchanged`);
      console.log(
        `published expert distances: ${summary.expertDistances.count}${summary.expertDistances.replaced ? ' (written)' : ' (unchanged)'}`,
      );
      console.log(`published embeddings: ${summary.embeddings.added} added, ${summary.embeddings.unchanged} unchanged`);
      for (const s of summary.studies) {
        console.log(
          `study ${s.study}: ${s.outcome}; backbones ${s.backbones.created} created, ${s.backbones.updated} updated, ${s.backbones.unchanged} unchanged; pair signals ${s.signals.added} added, ${s.signals.updated} updated, ${s.signals.unchanged} unchanged`,
        );
      }
      console.log(rankerLine(ranker));
    });
}

export function rankerLine(ranker: FittedRanker): string {
  const m = ranker.model;
  return `ranker ${ranker.version.slice(0, 12)}: ${ranker.refitted ? 'fitted' : 'unchanged'} on ${m.training.pairs} results in ${m.training.groups} groups over ${m.training.targets.length} targets${ranker.evaluation ? ', evaluation stored' : ''}`;
}

export function refitCommand(): Command {
  return new Command('refit')
    .description(
      'fit the backbone ranker on the stored evidence, when it changed since the stored model (seed and study imports do this)',
    )
    .option(
      '--evaluate',
      'also run the leave-one-target-out evaluation and store it with the model for GET /v1/evaluation (minutes on the full registry)',
    )
    .addOption(detachOption())
    .option('--json', 'print JSON')
    .action(async (opts: { evaluate?: boolean; detach?: boolean; json?: boolean }) => {
      if (opts.detach) {
        if (opts.evaluate)
          throw invalid('--evaluate runs here only; a queued refit fits the ranker without the evaluation', [
            { field: 'evaluate', message: 'not with --detach' },
          ]);
        const job = await withStore((store) => queueJob(store, { kind: 'refit-ranker', params: {} }));
        if (opts.json) return printJson(presentJob(job));
        return console.log(job.id);
      }
      const ranker = await withStore((store) => refitRanker(store, { evaluate: opts.evaluate === true }));
      if (opts.json)
        return printJson({ version: ranker.version, refitted: ranker.refitted, evaluated: ranker.evaluation !== null });
      console.log(rankerLine(ranker));
    });
}
