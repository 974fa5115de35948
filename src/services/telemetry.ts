/**
 * What operators watch: Prometheus metrics (prom-client) and one structured log line (pino) per
 * request and per job transition. One registry per process, served at GET /metrics by the API
 * and by `transfer-atlas worker --metrics-port`.
 */
import { pino, type Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

export const requestDuration = new Histogram({
  name: 'ta_http_request_duration_seconds',
  help: 'HTTP request latency by route template, method and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [metricsRegistry],
});

export const jobDuration = new Histogram({
  name: 'ta_job_duration_seconds',
  help: 'Duration of job attempts by kind and outcome',
  labelNames: ['kind', 'outcome'] as const,
  buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400],
  registers: [metricsRegistry],
});

export const jobFailures = new Counter({
  name: 'ta_job_failures_total',
  help: 'Failed job attempts by kind and whether they will be retried',
  labelNames: ['kind', 'retried'] as const,
  registers: [metricsRegistry],
});

/** Set from the store when /metrics is read, so every process reports the shared queue. */
export const jobsByState = new Gauge({
  name: 'ta_jobs',
  help: 'Jobs in the store by state; queued is the queue depth',
  labelNames: ['state'] as const,
  registers: [metricsRegistry],
});

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** JSON lines on stdout; TA_LOG_LEVEL chooses how many (default info, `silent` for none). */
export function createLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  const level = env.TA_LOG_LEVEL ?? 'info';
  return pino({ level: LEVELS.has(level) ? level : 'info', base: { pid: process.pid } });
}

export const silentLogger: Logger = pino({ level: 'silent' });

export type { Logger };
