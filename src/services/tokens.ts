/**
 * API tokens and who a request acts for. A token is 32 random bytes shown once at creation and kept
 * only as a SHA-256; it acts for one owner (the contributor id its writes are recorded under) with
 * one or more scopes. Scopes nest: `admin` may do what `contribute` may, which may do what `read` may.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AppError, invalid, notFound } from '../errors.js';
import {
  activeTokenByHash,
  anyToken,
  getToken,
  insertToken,
  listTokens,
  revokeToken,
  touchToken,
  type StoredToken,
} from '../store/index.js';
import type { Db } from './session.js';

export type { StoredToken };

export const SCOPES = ['read', 'contribute', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const TOKEN_PREFIX = 'ta_';
const TOKEN_SHAPE = /^ta_[A-Za-z0-9_-]{43}$/;
/** How stale a token's recorded last use may be before a request refreshes it. */
const LAST_USE_RESOLUTION_MS = 60_000;

/** The shape of a contributor id: a token's owner, a result's contributor. */
export const CONTRIBUTOR_ID = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

/** Who a request or command acts for. `admin` decides every ownership check. */
export interface Actor {
  readonly owner: string;
  readonly admin: boolean;
}

export interface Caller extends Actor {
  readonly scopes: readonly Scope[];
  /** `token`: a bearer token; `local`: an unauthenticated loopback request while no token exists. */
  readonly via: 'token' | 'local';
  /** The id of the bearer token, when there is one: whose rate-limit budget the request spends. */
  readonly tokenId?: string;
}

export const LOCAL_OWNER = 'local';

export function grants(scopes: readonly Scope[], wanted: Scope): boolean {
  const rank = (s: Scope) => SCOPES.indexOf(s);
  return scopes.some((s) => rank(s) >= rank(wanted));
}

export function parseScopes(raw: string | readonly string[], field = 'scope'): Scope[] {
  const parts = (typeof raw === 'string' ? raw.split(',') : [...raw]).map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0)
    throw invalid(`${field}: name at least one scope (${SCOPES.join(', ')})`, [{ field, message: 'empty' }]);
  for (const p of parts)
    if (!(SCOPES as readonly string[]).includes(p))
      throw invalid(`${field}: '${p}' is not a scope (${SCOPES.join(', ')})`, [
        { field, message: `unknown scope '${p}'` },
      ]);
  return SCOPES.filter((s) => parts.includes(s));
}

function hashOf(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface CreatedToken extends StoredToken {
  /** The token itself: shown this once, never stored. */
  readonly token: string;
}

export async function createToken(db: Db, owner: string, scopes: readonly Scope[]): Promise<CreatedToken> {
  if (!CONTRIBUTOR_ID.test(owner))
    throw invalid(`'${owner}' is not an owner name (letters, digits and . _ @ + -, at most 64)`, [
      { field: 'name', message: 'not a contributor id' },
    ]);
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const stored = await insertToken(db.knex, {
    id: `tok_${randomBytes(8).toString('hex')}`,
    owner,
    scopes: parseScopes(scopes),
    hash: hashOf(token),
  });
  return { ...stored, token };
}

export function apiTokens(db: Db): Promise<StoredToken[]> {
  return listTokens(db.knex);
}

export async function revokeApiToken(db: Db, id: string): Promise<StoredToken> {
  if (!(await getToken(db.knex, id))) throw notFound('token', id);
  await revokeToken(db.knex, id);
  return (await getToken(db.knex, id))!;
}

export const unauthenticated = (message: string): AppError =>
  new AppError('unauthorized', 'Token required', message, [{ field: 'Authorization', message }]);

/**
 * The caller a bearer token stands for. A malformed, unknown or revoked token is refused the same
 * way, so that a refusal tells nothing about which tokens exist.
 */
export async function callerOfToken(db: Db, token: string): Promise<Caller> {
  const stored = TOKEN_SHAPE.test(token) ? await activeTokenByHash(db.knex, hashOf(token)) : undefined;
  if (!stored) throw unauthenticated('the bearer token is not a valid, unrevoked token of this service');
  await touchToken(db.knex, stored.id, new Date(Date.now() - LAST_USE_RESOLUTION_MS).toISOString());
  const scopes = parseScopes(stored.scopes);
  return { owner: stored.owner, scopes, admin: grants(scopes, 'admin'), via: 'token', tokenId: stored.id };
}

/** Whether the store has ever had a token: from then on, tokens are the only way in. */
export function tokensExist(db: Db): Promise<boolean> {
  return anyToken(db.knex);
}
