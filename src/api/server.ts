import { createServer, IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { Express } from 'express';

export interface ServerDeadlines {
  /** A request whose headers are not complete by then is answered 408 and closed. */
  readonly headersTimeoutMs: number;
  /** A request whose body is not complete by then is answered 408 and closed. */
  readonly requestTimeoutMs: number;
}

/**
 * Request and response classes whose prototypes are the app's own `request` and `response` objects.
 *
 * Express hands every request and response the app's prototypes with Object.setPrototypeOf. V8 gives an
 * object whose prototype changed after construction a map of its own, so every property read on it misses
 * the inline caches and the per-request objects live long enough to be copied by the young-generation
 * collector: under load the collector's pauses set the tail latency (`npm run bench:api` serves a bare
 * Express route both ways in the same run and reports the latencies and the collector's pauses).
 * Built with the app's prototypes already in place, Express's setPrototypeOf finds nothing to change.
 */
function appClasses(app: Express): {
  IncomingMessage: typeof IncomingMessage;
  ServerResponse: typeof ServerResponse;
} {
  class AppRequest extends IncomingMessage {}
  class AppResponse extends ServerResponse {}
  const adopt = (cls: { prototype: object }, current: object) => {
    // The app's objects carry `app` (and whatever else Express gives them) over Express's shared prototypes.
    Object.setPrototypeOf(cls.prototype, Object.getPrototypeOf(current) as object);
    const { constructor: _own, ...carried } = Object.getOwnPropertyDescriptors(current);
    Object.defineProperties(cls.prototype, carried);
    return cls.prototype;
  };
  const target = app as unknown as { request: object; response: object };
  target.request = adopt(AppRequest, target.request);
  target.response = adopt(AppResponse, target.response);
  // The class is generic in its request only in its typings; at run time it is ServerResponse itself.
  return { IncomingMessage: AppRequest, ServerResponse: AppResponse as typeof ServerResponse };
}

/** The HTTP server for the API app, with the request deadlines checked every second (Node's default is 30 s). */
export function createHttpServer(app: Express, deadlines: ServerDeadlines): Server {
  return createServer(
    {
      ...appClasses(app),
      headersTimeout: deadlines.headersTimeoutMs,
      requestTimeout: deadlines.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, deadlines.headersTimeoutMs),
    },
    app,
  );
}
