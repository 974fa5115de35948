import type { Response } from 'express';
import { isTerminal, type Job, type JobKind, type JobState } from '../../jobs/index.js';
import {
  cancelJob,
  jobById,
  jobCounts,
  jobOrNotFound,
  listJobRecords,
  submitJob,
  type Submission,
} from '../../services/jobs.js';
import { metricsRegistry, jobsByState } from '../../services/telemetry.js';
import { JOB_STATES } from '../../jobs/index.js';
import { presentJob } from '../../presenters/jobs.js';
import type { ApiContext } from '../context.js';
import { pageOf, stringParam } from '../query.js';
import type { Route } from '../route.js';
import { definedOnly } from '../../defaults.js';

/** Queues a job and answers 202 with it, `Location` naming where to follow it. */
export async function acceptJob(ctx: ApiContext, res: Response, submission: Submission): Promise<void> {
  const job = await submitJob(ctx.store, ctx.jobs, submission);
  res.status(202).location(`/v1/jobs/${job.id}`).json(presentJob(job));
}

/** How often the event stream looks at the job: it may run in another process, so the store is the source. */
const EVENT_POLL_MS = 500;

function streamEvents(ctx: ApiContext, first: Job, res: Response): void {
  res.status(200).set({ 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  res.flushHeaders();
  let last = '';
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  res.once('close', () => {
    closed = true;
    clearTimeout(timer);
  });
  const send = (job: Job): boolean => {
    const data = JSON.stringify(presentJob(job));
    if (data !== last) {
      last = data;
      res.write(`event: job\ndata: ${data}\n\n`);
    }
    return isTerminal(job.state);
  };
  const tick = async (): Promise<void> => {
    if (closed) return;
    const job = await jobById(ctx.store, first.id).catch(() => undefined);
    if (!job || send(job)) {
      res.end();
      return;
    }
    timer = setTimeout(() => void tick(), EVENT_POLL_MS);
  };
  if (send(first)) res.end();
  else timer = setTimeout(() => void tick(), EVENT_POLL_MS);
}

export const jobRoutes: Route[] = [
  {
    method: 'get',
    path: '/v1/jobs',
    async handle(ctx, req, res) {
      const { page, pageSize } = pageOf(req);
      const state = stringParam(req, 'state') as JobState | undefined;
      const kind = stringParam(req, 'kind') as JobKind | undefined;
      const found = await listJobRecords(ctx.store, {
        ...definedOnly({ state: state || undefined, kind: kind || undefined }),
        limit: pageSize,
        offset: (page - 1) * pageSize,
      });
      res
        .set('cache-control', 'no-store')
        .json({ items: found.items.map(presentJob), page, page_size: pageSize, total: found.total });
    },
  },
  {
    method: 'get',
    path: '/v1/jobs/{id}',
    async handle(ctx, req, res) {
      res.set('cache-control', 'no-store').json(presentJob(await jobOrNotFound(ctx.store, String(req.params.id))));
    },
  },
  {
    method: 'delete',
    path: '/v1/jobs/{id}',
    scope: 'admin',
    async handle(ctx, req, res) {
      const job = await cancelJob(ctx.store, ctx.jobs, String(req.params.id));
      res.status(isTerminal(job.state) ? 200 : 202).json(presentJob(job));
    },
  },
  {
    method: 'get',
    path: '/v1/jobs/{id}/events',
    async handle(ctx, req, res) {
      streamEvents(ctx, await jobOrNotFound(ctx.store, String(req.params.id)), res);
    },
  },
  {
    method: 'post',
    path: '/v1/ranker/refits',
    scope: 'admin',
    async handle(ctx, _req, res) {
      await acceptJob(ctx, res, { kind: 'refit-ranker', params: {} });
    },
  },
  {
    method: 'get',
    path: '/metrics',
    async handle(ctx, _req, res) {
      const counts = await jobCounts(ctx.store);
      for (const state of JOB_STATES) jobsByState.set({ state }, counts[state] ?? 0);
      res.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
    },
  },
];
