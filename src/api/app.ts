import express, { type Express } from 'express';
import { accessConfigFromEnv, guardRoutes, type AccessConfig } from './access.js';
import { applySecurity, securityConfigFromEnv, tokenLimits, type SecurityConfig } from './security.js';
import { declaredLength, malformedMultipart, plainInput } from './edge.js';
import type { ApiContext } from './context.js';
import { problemHandler, sendProblem, PROBLEM_TYPE_PREFIX } from './problem.js';
import { expressPath } from './route.js';
import { routes } from './routes/index.js';
import { ingestionSettings } from './uploads.js';
import { requestValidator } from './validator.js';
import { webPage } from './web.js';
import { requestDuration, silentLogger } from '../services/telemetry.js';
import { ServingCache } from '../services/serving.js';

export interface AppOptions {
  /** Check every response against the spec too: on in tests, where a drift should fail loudly. */
  readonly validateResponses?: boolean;
  /** Headers, CORS and rate limits; read from the environment when not given. */
  readonly security?: SecurityConfig;
  /** Whether reads need a token and whether loopback writes may go without; read from the environment when not given. */
  readonly access?: AccessConfig;
}

/** Methods that may change the evidence; a recommendation is a POST that only reads. */
const WRITES: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function createApp(given: ApiContext, options: AppOptions = {}): Express {
  const ctx: ApiContext = {
    ...given,
    serving: given.serving ?? new ServingCache(given.store.knex),
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const logger = ctx.logger ?? silentLogger;
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      if (WRITES.has(req.method) && req.path !== '/v1/recommendations') ctx.serving!.changed();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // The route template, not the URL, so that ids do not explode the label set.
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      requestDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      logger.info(
        { method: req.method, url: req.originalUrl, route, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 },
        'request',
      );
    });
    next();
  });
  const security = options.security ?? securityConfigFromEnv();
  applySecurity(app, security);
  app.use(webPage());
  // Before any body is read, so that a stranger's upload is refused without being stored.
  app.use(guardRoutes(ctx, options.access ?? accessConfigFromEnv(), routes));
  for (const limit of tokenLimits(security)) app.use(limit);
  const uploadLength = declaredLength(() => ingestionSettings(ctx).maxUploadBytes);
  app.use((req, res, next) =>
    req.method === 'POST' && req.path === '/v1/datasets/uploads' ? uploadLength(req, res, next) : next(),
  );
  app.use(express.json({ limit: '1mb', type: ['application/json', 'application/*+json'] }));
  app.use(requestValidator(ctx, { validateResponses: options.validateResponses ?? false }));
  app.use(plainInput);
  for (const route of routes) {
    app[route.method](expressPath(route.path), async (req, res, next) => {
      try {
        await route.handle(ctx, req, res);
      } catch (err) {
        next(err);
      }
    });
  }
  app.use((req, res) => {
    sendProblem(res, {
      type: PROBLEM_TYPE_PREFIX + 'not-found',
      title: 'No such route',
      status: 404,
      detail: `${req.method} ${req.path} is not part of the API`,
      instance: req.originalUrl,
    });
  });
  app.use(malformedMultipart);
  app.use(problemHandler);
  return app;
}
