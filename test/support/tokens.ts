import { createToken, parseScopes } from '../../src/services/index.js';
import type { Store } from '../../src/store/index.js';

/** A fresh token for `owner`; once a store has one, its server takes writes only with a token. */
export async function mintToken(store: Store, owner: string, scopes: string): Promise<string> {
  return (await createToken(store, owner, parseScopes(scopes))).token;
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
