/**
 * What each kind of job does. A runner writes its effects and the job's success in one
 * transaction (`complete`), so that a retried job never leaves a second copy and a crash before
 * the commit leaves nothing. Kinds without a runner are refused at submission.
 */
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { AppError } from '../errors.js';
import type { Job, JobKind, StageReport } from '../jobs/index.js';
import { getDataset } from '../store/index.js';
import { checkEmbeddable, computeEmbedding, type EmbeddingRequest } from './embeddings.js';
import { checkIngestible, datasetIdFromName, ingestIntoStore, type IngestRequest } from './ingest.js';
import { refitRanker as refit } from './ranker.js';
import type { Db } from './session.js';

export interface RunContext {
  readonly db: Db;
  readonly dataDir: string;
  readonly job: Job;
  /** Reports progress; throws JobInterrupted once the job is cancelled or taken over. */
  progress(report: StageReport): void;
  /** Marks the job succeeded inside `trx`, the transaction that holds its effects. */
  complete(trx: Knex, resultUrl: string | null): Promise<void>;
}

export interface JobRunner<P> {
  /** Refuses bad parameters at submission, so that a job is only queued when it can run. */
  check(db: Db, params: P): Promise<void>;
  /** Runs the job and calls `ctx.complete` in the transaction of its effects. */
  run(ctx: RunContext, params: P): Promise<void>;
  /** Called once the job is finished for good (succeeded, failed or cancelled). */
  cleanup?(params: P): Promise<void>;
}

/** Ingestion from a server-side path, or from an upload the API saved under the data folder. */
export interface IngestJobParams extends IngestRequest {
  /** Set for uploads: the saved file is the job's to remove once it is finished. */
  readonly removeWhenDone?: boolean;
}

export type EmbedJobParams = Omit<EmbeddingRequest, 'dataDir'>;

const ingest: JobRunner<IngestJobParams> = {
  async check(db, params) {
    await checkIngestible(db, params.metadata);
  },
  async run(ctx, params) {
    const id = params.metadata.id ?? datasetIdFromName(params.metadata.name);
    // An earlier attempt that died between moving the images into place and committing the row
    // left a folder no row refers to; it is this job's own, so it goes before the retry.
    if (ctx.job.attempts > 1 && !(await getDataset(ctx.db.knex, id))) {
      const orphan = join(ctx.dataDir, 'datasets', id);
      if (await stat(orphan).catch(() => undefined)) await rm(orphan, { recursive: true, force: true });
    }
    await ingestIntoStore(
      ctx.db,
      params,
      ctx.dataDir,
      (p) => ctx.progress(p),
      (trx, datasetId) => ctx.complete(trx, `/v1/datasets/${datasetId}`),
    );
  },
  async cleanup(params) {
    if (params.removeWhenDone) await rm(params.path, { force: true });
  },
};

const embed: JobRunner<EmbedJobParams> = {
  check: (db, params) => checkEmbeddable(db, params.dataset),
  async run(ctx, params) {
    await computeEmbedding(
      ctx.db,
      { ...params, dataDir: ctx.dataDir },
      (p) => ctx.progress(p),
      (trx, id) => ctx.complete(trx, `/v1/embeddings/${id}`),
    );
  },
};

/**
 * Fits the ranker when the evidence changed, and stores its leave-one-target-out evaluation when the
 * model has none (a minute or more: too long for a request or for `seed`, so it is done here); both
 * are stored under the evidence version, so a retry finds them.
 */
const refitRanker: JobRunner<Record<string, never>> = {
  check: async () => undefined,
  async run(ctx) {
    ctx.progress({ stage: 'fitting', done: 0, total: 1, imagesPerSecond: 0, etaSeconds: 0 });
    await refit(ctx.db, { evaluate: true });
    await ctx.db.knex.transaction((trx) => ctx.complete(trx, '/v1/ranker'));
  },
};

const RUNNERS: Partial<Record<JobKind, JobRunner<never>>> = {
  ingest: ingest as JobRunner<never>,
  embed: embed as JobRunner<never>,
  'refit-ranker': refitRanker as JobRunner<never>,
};

export function runnerFor(kind: JobKind): JobRunner<Record<string, unknown>> {
  const runner = RUNNERS[kind];
  if (!runner) {
    throw new AppError('unprocessable', 'Job kind not available', `jobs of kind '${kind}' cannot run in this version`, [
      { field: 'kind', message: 'no runner' },
    ]);
  }
  return runner as unknown as JobRunner<Record<string, unknown>>;
}
