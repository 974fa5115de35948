import type { Knex } from 'knex';
import { nowIso } from './rows.js';

/** The response first given to a request with an Idempotency-Key, replayed to retries of the same request. */
export interface IdempotentResponse {
  readonly key: string;
  readonly requestHash: string;
  readonly status: number;
  readonly body: unknown;
}

export async function findIdempotentResponse(db: Knex, key: string): Promise<IdempotentResponse | undefined> {
  const row = (await db('idempotency_keys').where({ key }).first()) as
    { key: string; request_hash: string; status: number; response: string } | undefined;
  return row
    ? {
        key: row.key,
        requestHash: row.request_hash,
        status: Number(row.status),
        body: JSON.parse(row.response) as unknown,
      }
    : undefined;
}

export async function saveIdempotentResponse(db: Knex, response: IdempotentResponse): Promise<void> {
  await db('idempotency_keys').insert({
    key: response.key,
    request_hash: response.requestHash,
    status: response.status,
    response: JSON.stringify(response.body),
    created_at: nowIso(),
  });
}
