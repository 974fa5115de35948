import type { Job } from '../jobs/index.js';
import type { components } from '../api/schema.js';
import { definedOnly } from '../defaults.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function presentJob(job: Job): components['schemas']['Job'] {
  const p = job.progress;
  return {
    id: job.id,
    kind: job.kind,
    state: job.state,
    params: job.params as Record<string, unknown>,
    requires_backend: job.requiresBackend,
    progress:
      p === null
        ? null
        : {
            stage: p.stage,
            done: p.done,
            total: p.total,
            fraction: p.fraction,
            images_per_second: p.imagesPerSecond,
            eta_seconds: p.etaSeconds,
          },
    result_url: job.resultUrl,
    failure:
      job.failure === null
        ? null
        : {
            code: job.failure.code,
            message: job.failure.message,
            ...definedOnly({ field: job.failure.field }),
            retryable: job.failure.retryable,
          },
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    dead_letter: job.deadLetter,
    cancel_requested: job.cancelRequested,
    worker: job.worker,
    created_at: iso(job.createdAt)!,
    started_at: iso(job.startedAt),
    finished_at: iso(job.finishedAt),
  };
}
