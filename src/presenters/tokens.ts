import type { CreatedToken, StoredToken } from '../services/index.js';

/** A token as the API and `tokens list --json` show it: never its secret, which only creation returns. */
export interface TokenWire {
  readonly id: string;
  readonly owner: string;
  readonly scopes: readonly string[];
  readonly created_at: string;
  readonly last_used_at: string | null;
  readonly revoked_at: string | null;
}

export function presentToken(t: StoredToken): TokenWire {
  return {
    id: t.id,
    owner: t.owner,
    scopes: [...t.scopes],
    created_at: t.created_at,
    last_used_at: t.last_used_at ?? null,
    revoked_at: t.revoked_at ?? null,
  };
}

export function presentCreatedToken(t: CreatedToken): TokenWire & { readonly token: string } {
  return { ...presentToken(t), token: t.token };
}
