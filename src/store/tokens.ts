import type { Knex } from 'knex';
import { nowIso } from './rows.js';

export interface StoredToken {
  readonly id: string;
  readonly owner: string;
  readonly scopes: readonly string[];
  readonly created_at: string;
  readonly last_used_at?: string;
  readonly revoked_at?: string;
}

interface TokenRow {
  id: string;
  owner: string;
  scopes: string;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

function fromRow(r: TokenRow): StoredToken {
  return {
    id: r.id,
    owner: r.owner,
    scopes: r.scopes.split(',').filter((s) => s !== ''),
    created_at: r.created_at,
    ...(r.last_used_at !== null ? { last_used_at: r.last_used_at } : {}),
    ...(r.revoked_at !== null ? { revoked_at: r.revoked_at } : {}),
  };
}

export async function insertToken(
  db: Knex,
  token: { id: string; owner: string; scopes: readonly string[]; hash: string },
): Promise<StoredToken> {
  const row: TokenRow = {
    id: token.id,
    owner: token.owner,
    scopes: token.scopes.join(','),
    token_hash: token.hash,
    created_at: nowIso(),
    last_used_at: null,
    revoked_at: null,
  };
  await db('api_tokens').insert(row);
  return fromRow(row);
}

/** The live (not revoked) token with this hash. */
export async function activeTokenByHash(db: Knex, hash: string): Promise<StoredToken | undefined> {
  const row = (await db('api_tokens').where({ token_hash: hash }).whereNull('revoked_at').first()) as
    TokenRow | undefined;
  return row ? fromRow(row) : undefined;
}

export async function getToken(db: Knex, id: string): Promise<StoredToken | undefined> {
  const row = (await db('api_tokens').where({ id }).first()) as TokenRow | undefined;
  return row ? fromRow(row) : undefined;
}

export async function listTokens(db: Knex): Promise<StoredToken[]> {
  return ((await db('api_tokens').orderBy([{ column: 'created_at' }, { column: 'id' }])) as TokenRow[]).map(fromRow);
}

/** Whether any token was ever created, revoked ones included. */
export async function anyToken(db: Knex): Promise<boolean> {
  return (await db('api_tokens').first('id')) !== undefined;
}

export async function revokeToken(db: Knex, id: string): Promise<boolean> {
  return (await db('api_tokens').where({ id }).whereNull('revoked_at').update({ revoked_at: nowIso() })) > 0;
}

/** Records a use unless one was recorded less than `staleBefore` ago. */
export async function touchToken(db: Knex, id: string, staleBefore: string): Promise<void> {
  await db('api_tokens')
    .where({ id })
    .andWhere((q) => q.whereNull('last_used_at').orWhere('last_used_at', '<', staleBefore))
    .update({ last_used_at: nowIso() });
}
