/**
 * Idempotency-Key semantics for writes: the first successful response to a key is stored with a
 * hash of its request; a retry with the same request gets that response again, and the same key
 * on a different request is a conflict. Refusals are not stored, so a corrected retry may reuse a key.
 *
 * Concurrent requests with one key must all get the first answer: on PostgreSQL each takes a
 * transaction-scoped advisory lock on the key before looking, so a second waits for the first to
 * commit and then finds its answer; SQLite runs one write transaction at a time already.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { conflict } from '../errors.js';
import { canonicalJson, findIdempotentResponse, isPostgres, saveIdempotentResponse } from '../store/index.js';

/** The advisory-lock class of idempotency keys, so their locks never meet another use of advisory locks. */
const IDEMPOTENCY_LOCK_CLASS = 0x7a1d;

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
      if (isPostgres(trx)) await trx.raw('select pg_advisory_xact_lock(?, hashtext(?))', [IDEMPOTENCY_LOCK_CLASS, key]);
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
