import { getJson, type Schemas } from './api.js';

export type Job = Schemas['Job'];

/** What a progress bar and its live region show of a job at one moment. */
export interface JobProgress {
  readonly stage: string;
  /** Of the current stage; null while nothing measurable has been reported, so the bar shows activity instead. */
  readonly fraction: number | null;
  readonly text: string;
}

/** The job ended without a result: its failure reason is what the user can act on. */
export class JobFailed extends Error {
  constructor(readonly job: Job) {
    super(
      job.state === 'cancelled'
        ? `the ${job.kind} job was cancelled`
        : job.failure
          ? `${job.failure.message}${job.failure.field ? ` (field: ${job.failure.field})` : ''}`
          : `the ${job.kind} job ${job.state}`,
    );
  }
}

/** While the event stream is lost, the job itself is read this often. */
const POLL_MS = 1000;

const finished = (job: Job): boolean =>
  job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled';

export function describeJob(job: Job): JobProgress {
  if (job.state === 'queued') {
    const retry = job.failure ? ` (retrying after: ${job.failure.message})` : '';
    return { stage: 'queued', fraction: null, text: `${job.kind}: queued, waiting for a worker${retry}…` };
  }
  const p = job.progress;
  if (!p) return { stage: job.state, fraction: null, text: `${job.kind}: ${job.state}…` };
  const rate = p.images_per_second > 0 ? `, ${p.images_per_second.toFixed(1)} images/s` : '';
  const eta = p.eta_seconds > 0 ? `, about ${Math.ceil(p.eta_seconds)} s left` : '';
  return {
    stage: p.stage,
    fraction: p.fraction,
    text: `${job.kind}, ${p.stage}: ${Math.round(p.fraction * 100)} %${rate}${eta}`,
  };
}

/**
 * Follows a job until it ends, reporting each change: from its server-sent events while the stream holds, by
 * reading the job while it does not (a proxy that buffers streams, a dropped connection). Resolves with the
 * finished job when it succeeded, rejects with JobFailed when it failed or was cancelled.
 */
export function followJob(job: Job, onProgress: (job: Job) => void): Promise<Job> {
  return new Promise((resolve, reject) => {
    let done = false;
    let timer = 0;
    let events: EventSource | null = null;
    const seen = (latest: Job): void => {
      if (done) return;
      if (!finished(latest)) {
        onProgress(latest);
        return;
      }
      done = true;
      events?.close();
      window.clearTimeout(timer);
      if (latest.state === 'succeeded') resolve(latest);
      else reject(new JobFailed(latest));
    };
    const poll = (): void => {
      getJson<Job>(`/v1/jobs/${encodeURIComponent(job.id)}`).then(
        (latest) => {
          seen(latest);
          if (!done) timer = window.setTimeout(poll, POLL_MS);
        },
        (err: unknown) => {
          done = true;
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    };
    seen(job);
    if (done) return;
    events = new EventSource(`/v1/jobs/${encodeURIComponent(job.id)}/events`);
    events.addEventListener('job', (e) => seen(JSON.parse((e as MessageEvent<string>).data) as Job));
    // The server closes the stream after a finished job's event, so an error before that means the stream was lost.
    events.addEventListener('error', () => {
      events?.close();
      if (!done) poll();
    });
  });
}
