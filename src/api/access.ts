/**
 * Who a request acts for, checked before its body is read: a bearer token's owner and scopes; or,
 * while the store has never had a token, an unauthenticated request that both arrives on and comes
 * from a loopback address acts as the `local` owner with every scope, so that `serve` and the web page
 * work on one's own machine without minting anything. TA_REQUIRE_TOKENS=1 turns that off.
 */
import type { Request, RequestHandler, Response } from 'express';
import { invalid, AppError } from '../errors.js';
import {
  callerOfToken,
  grants,
  LOCAL_OWNER,
  tokensExist,
  unauthenticated,
  type Caller,
  type Scope,
} from '../services/tokens.js';
import type { ApiContext } from './context.js';
import type { Route } from './route.js';

export interface AccessConfig {
  /** TA_READS: `public` (the default) lets anyone read; `token` asks every read for a token. */
  readonly reads: 'public' | 'token';
  /** TA_REQUIRE_TOKENS=1: no loopback exception, writes always need a token. */
  readonly requireTokens: boolean;
}

export const DEFAULT_ACCESS: AccessConfig = { reads: 'public', requireTokens: false };

export function accessConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AccessConfig {
  const reads = (env.TA_READS ?? '').trim() || 'public';
  if (reads !== 'public' && reads !== 'token')
    throw invalid(
      `TA_READS must be 'public' or 'token' (got '${reads}')`,
      [{ field: 'TA_READS', message: 'public or token' }],
      'TA_READS',
    );
  const require = (env.TA_REQUIRE_TOKENS ?? '').trim();
  if (!['', '0', '1'].includes(require))
    throw invalid(
      `TA_REQUIRE_TOKENS must be 0 or 1 (got '${require}')`,
      [{ field: 'TA_REQUIRE_TOKENS', message: '0 or 1' }],
      'TA_REQUIRE_TOKENS',
    );
  return { reads, requireTokens: require === '1' };
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

const LOCAL_CALLER: Caller = { owner: LOCAL_OWNER, scopes: ['admin'], admin: true, via: 'local' };

/** Whether this unauthenticated request may act as the local owner. */
async function localCaller(ctx: ApiContext, config: AccessConfig, req: Request, seen: { tokens: boolean }) {
  if (config.requireTokens || seen.tokens) return undefined;
  if (!isLoopback(req.socket.localAddress) || !isLoopback(req.socket.remoteAddress)) return undefined;
  // Tokens are never deleted, so once one exists this process need not ask again.
  if (await tokensExist(ctx.store)) {
    seen.tokens = true;
    return undefined;
  }
  return LOCAL_CALLER;
}

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * One middleware for every route: finds the operation a request is for and resolves its caller into
 * res.locals.caller, or refuses with 401 (no usable token) or 403 (a token without the scope).
 * Requests for no operation pass on to the 404.
 */
export function guardRoutes(ctx: ApiContext, config: AccessConfig, routes: readonly Route[]): RequestHandler {
  const seen = { tokens: false };
  const patterns = routes.map((r) => ({
    method: r.method.toUpperCase(),
    pattern: new RegExp(`^${r.path.replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
    scope: r.scope ?? ('read' as Scope),
  }));
  return (req, res, next) => {
    const route = patterns.find((p) => p.method === req.method && p.pattern.test(req.path));
    if (route === undefined) return next();
    const scope = route.scope;
    const header = req.get('authorization');
    // A public read without a token has no caller to resolve: it goes on without a round through the event loop.
    if (header === undefined && scope === 'read' && config.reads === 'public') return next();
    (async () => {
      let caller: Caller | undefined;
      if (header !== undefined) {
        const token = BEARER.exec(header)?.[1];
        if (token === undefined) throw unauthenticated("the Authorization header must read 'Bearer <token>'");
        caller = await callerOfToken(ctx.store, token);
      } else if (scope !== 'read' || config.reads === 'token') {
        caller = await localCaller(ctx, config, req, seen);
        if (caller === undefined)
          throw unauthenticated(`this operation needs a bearer token with the '${scope}' scope`);
      }
      if (caller !== undefined && !grants(caller.scopes, scope))
        throw new AppError(
          'forbidden',
          'Scope missing',
          `this token's scopes (${caller.scopes.join(', ')}) do not include '${scope}'`,
          [{ field: 'Authorization', message: `needs the '${scope}' scope` }],
        );
      if (caller !== undefined) res.locals.caller = caller;
    })().then(
      () => next(),
      (err: unknown) => {
        if (err instanceof AppError && err.code === 'unauthorized') res.set('WWW-Authenticate', 'Bearer');
        next(err);
      },
    );
  };
}

/** The caller of a write route; its guard has always set one. */
export function callerOf(res: Response): Caller {
  const caller = res.locals.caller as Caller | undefined;
  if (caller === undefined) throw unauthenticated('this operation needs a bearer token');
  return caller;
}

/** The contributor a write records: a token's owner (a different name given is refused), else the name given. */
export function contributorOf(
  caller: Caller,
  given: string | undefined,
  field = 'contributor',
): { contributor?: string } {
  if (caller.via === 'local') return given !== undefined ? { contributor: given } : {};
  if (given !== undefined && given !== caller.owner)
    throw invalid(
      `${field}: a contribution is recorded under its token's owner ('${caller.owner}'); leave ${field} out or give that name`,
      [{ field, message: "must be left out or be the token's owner" }],
    );
  return { contributor: caller.owner };
}
