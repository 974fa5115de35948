/**
 * Idempotency-Key semantics for writes: the first successful response to a key is stored with a
 * hash of its request; a retry with the same request gets that response again, and the same key
 * on a different request is a conflict. Refusals are not stored, so a corrected retry may reuse a key.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { conflict } from '../errors.js';
import { canonicalJson, findIdempotentResponse, saveIdempotentResponse } from '../store/index.js';

export interface Reply {
  readonly status: number;
  readonly body: unknown;
}

export function requestHash(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

export async function idempotent(
  db: Knex,
  key: string | undefined,
  request: unknown,
  produce: (trx: Knex.Transaction) => Promise<Reply>,
): Promise<Reply & { readonly replayed: boolean }> {
  const hash = requestHash(request);
  return db.transaction(async (trx) => {
    if (key !== undefined) {
      const earlier = await findIdempotentResponse(trx, key);
      if (earlier) {
        if (earlier.requestHash !== hash) {
          throw conflict(`Idempotency-Key '${key}' was already used for a different request`, [
            { field: 'Idempotency-Key', message: 'reused with a different body' },
          ]);
        }
        return { status: earlier.status, body: earlier.body, replayed: true };
      }
    }
    const reply = await produce(trx);
    if (key !== undefined)
      await saveIdempotentResponse(trx, { key, requestHash: hash, status: reply.status, body: reply.body });
    return { ...reply, replayed: false };
  });
}
