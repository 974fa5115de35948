/**
 * Security headers, cross-origin reads and per-client rate limits, all from maintained
 * middleware; the numbers come from the environment so a deployment can change them.
 */
import cors from 'cors';
import type { Express } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { invalid } from '../errors.js';
import { PROBLEM_TYPE_PREFIX, sendProblem } from './problem.js';

export interface SecurityConfig {
  /** TA_CORS_ORIGINS: origins allowed to call the API from a browser; none by default. */
  readonly corsOrigins: readonly string[];
  /** TA_RATE_LIMIT: requests per minute from one address; 0 turns the limit off. */
  readonly perMinute: number;
  /** TA_WRITE_RATE_LIMIT: POST requests per minute from one address; 0 turns the limit off. */
  readonly writesPerMinute: number;
}

export const DEFAULT_SECURITY: SecurityConfig = { corsOrigins: [], perMinute: 1200, writesPerMinute: 300 };

function count(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0)
    throw invalid(
      `${name} must be a whole number of requests per minute, 0 for no limit (got '${raw}')`,
      [{ field: name, message: 'whole number >= 0' }],
      name,
    );
  return value;
}

export function securityConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SecurityConfig {
  const origins = (env.TA_CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  return {
    corsOrigins: origins,
    perMinute: count(env, 'TA_RATE_LIMIT', DEFAULT_SECURITY.perMinute),
    writesPerMinute: count(env, 'TA_WRITE_RATE_LIMIT', DEFAULT_SECURITY.writesPerMinute),
  };
}

function limiter(perMinute: number, skip: (method: string) => boolean) {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    skip: (req) => skip(req.method),
    handler: (req, res) =>
      sendProblem(res, {
        type: PROBLEM_TYPE_PREFIX + 'too-many-requests',
        title: 'Too many requests',
        status: 429,
        detail: `more than ${perMinute} requests a minute from this address; retry after the Retry-After seconds`,
        instance: req.originalUrl,
      }),
  });
}

export function applySecurity(app: Express, config: SecurityConfig): void {
  app.use(helmet());
  if (config.corsOrigins.length > 0)
    app.use(
      cors({
        origin: [...config.corsOrigins],
        exposedHeaders: ['ETag', 'Location', 'Retry-After', 'Idempotent-Replayed'],
      }),
    );
  if (config.perMinute > 0) app.use(limiter(config.perMinute, () => false));
  if (config.writesPerMinute > 0) app.use(limiter(config.writesPerMinute, (method) => method !== 'POST'));
}
