/**
 * Security headers, cross-origin reads and per-client rate limits, all from maintained
 * middleware; the numbers come from the environment so a deployment can change them.
 */
import cors from 'cors';
import type { Express, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { invalid } from '../errors.js';
import type { Caller } from '../services/tokens.js';
import { PROBLEM_TYPE_PREFIX, sendProblem } from './problem.js';

export interface SecurityConfig {
  /** TA_CORS_ORIGINS: origins allowed to call the API from a browser; none by default. */
  readonly corsOrigins: readonly string[];
  /** TA_RATE_LIMIT: requests per minute from one address; 0 turns the limit off. */
  readonly perMinute: number;
  /** TA_WRITE_RATE_LIMIT: POST requests per minute from one address; 0 turns the limit off. */
  readonly writesPerMinute: number;
  /** TA_TOKEN_RATE_LIMIT: requests per minute with one token (without a token, from one address); 0 turns it off. */
  readonly perTokenPerMinute: number;
  /** TA_TOKEN_WRITE_RATE_LIMIT: POST requests per minute with one token (else from one address); 0 turns it off. */
  readonly writesPerTokenPerMinute: number;
  /** TA_HEADERS_TIMEOUT_MS: how long a client may take to send its request headers before a 408 and a closed socket. */
  readonly headersTimeoutMs: number;
  /** TA_REQUEST_TIMEOUT_MS: how long a client may take to send a whole request, body included (uploads too). */
  readonly requestTimeoutMs: number;
}

export const DEFAULT_SECURITY: SecurityConfig = {
  corsOrigins: [],
  perMinute: 1200,
  writesPerMinute: 300,
  perTokenPerMinute: 1200,
  writesPerTokenPerMinute: 300,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
};

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, unit: string): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min)
    throw invalid(
      `${name} must be a whole number of ${unit} (got '${raw}')`,
      [{ field: name, message: `whole number >= ${min}` }],
      name,
    );
  return value;
}

function count(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  return wholeNumber(env, name, fallback, 0, 'requests per minute, 0 for no limit');
}

function milliseconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  return wholeNumber(env, name, fallback, 1, 'milliseconds');
}

export function securityConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SecurityConfig {
  const origins = (env.TA_CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  const headersTimeoutMs = milliseconds(env, 'TA_HEADERS_TIMEOUT_MS', DEFAULT_SECURITY.headersTimeoutMs);
  const requestTimeoutMs = milliseconds(env, 'TA_REQUEST_TIMEOUT_MS', DEFAULT_SECURITY.requestTimeoutMs);
  // Node refuses a headers deadline later than the whole request's; say so in our words before it does.
  if (headersTimeoutMs > requestTimeoutMs)
    throw invalid(
      `TA_HEADERS_TIMEOUT_MS (${headersTimeoutMs}) must not exceed TA_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`,
      [{ field: 'TA_HEADERS_TIMEOUT_MS', message: 'at most TA_REQUEST_TIMEOUT_MS' }],
      'TA_HEADERS_TIMEOUT_MS',
    );
  return {
    corsOrigins: origins,
    perMinute: count(env, 'TA_RATE_LIMIT', DEFAULT_SECURITY.perMinute),
    writesPerMinute: count(env, 'TA_WRITE_RATE_LIMIT', DEFAULT_SECURITY.writesPerMinute),
    perTokenPerMinute: count(env, 'TA_TOKEN_RATE_LIMIT', DEFAULT_SECURITY.perTokenPerMinute),
    writesPerTokenPerMinute: count(env, 'TA_TOKEN_WRITE_RATE_LIMIT', DEFAULT_SECURITY.writesPerTokenPerMinute),
    headersTimeoutMs,
    requestTimeoutMs,
  };
}

/** Whose budget a request spends: a valid token's (resolved by the access guard), else its address's. */
type Budget = 'address' | 'token';

function clientKey(req: Request, res: Response): string {
  const caller = res.locals.caller as Caller | undefined;
  if (caller?.tokenId !== undefined) return `token:${caller.tokenId}`;
  return `address:${ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? '')}`;
}

function limiter(perMinute: number, budget: Budget, skip: (method: string) => boolean): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    skip: (req) => skip(req.method),
    ...(budget === 'token' ? { keyGenerator: clientKey } : {}),
    handler: (req, res) =>
      sendProblem(res, {
        type: PROBLEM_TYPE_PREFIX + 'too-many-requests',
        title: 'Too many requests',
        status: 429,
        detail: `more than ${perMinute} requests a minute ${
          budget === 'address' || clientKey(req, res).startsWith('address:') ? 'from this address' : 'with this token'
        }; retry after the Retry-After seconds`,
        instance: req.originalUrl,
      }),
  });
}

const onlyPosts = (method: string) => method !== 'POST';

/** Headers, CORS and the per-address limits: before anything else, so that they count every request. */
export function applySecurity(app: Express, config: SecurityConfig): void {
  app.use(helmet());
  if (config.corsOrigins.length > 0)
    app.use(
      cors({
        origin: [...config.corsOrigins],
        exposedHeaders: ['ETag', 'Location', 'Retry-After', 'Idempotent-Replayed'],
      }),
    );
  if (config.perMinute > 0) app.use(limiter(config.perMinute, 'address', () => false));
  if (config.writesPerMinute > 0) app.use(limiter(config.writesPerMinute, 'address', onlyPosts));
}

/**
 * The per-token limits, once the access guard has told a valid token from none: a token's budget is
 * the same from every address it is used from, and tokens sharing an address (people behind one
 * proxy) each have their own. A request without a token spends its address's budget here too.
 */
export function tokenLimits(config: SecurityConfig): RequestHandler[] {
  return [
    ...(config.perTokenPerMinute > 0 ? [limiter(config.perTokenPerMinute, 'token', () => false)] : []),
    ...(config.writesPerTokenPerMinute > 0 ? [limiter(config.writesPerTokenPerMinute, 'token', onlyPosts)] : []),
  ];
}
