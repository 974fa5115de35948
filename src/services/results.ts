/**
 * Transfer results as callers read and write them: always with their transferability (or why
 * there is none), contributed all or nothing, and replayed for a repeated Idempotency-Key.
 */
import { notFound } from '../errors.js';
import { collectAll, getRun, listRuns, type PageOf, type PageRequest } from '../store/index.js';
import { attribute, storeContributions, validateContributions, type Sender } from './contribute.js';
import { idempotent, type Reply } from './idempotency.js';
import { resultFilter, type ResultQuery } from './result-query.js';
import type { Db } from './session.js';
import { withTransferability, type WithTransferability } from './transferability.js';

export type ResultView = WithTransferability;

/** The caller's names for the dataset fields of a query, so that an unknown id names what they wrote. */
export interface QueryFields {
  readonly source: string;
  readonly target: string;
}

export async function listResults(
  db: Db,
  query: ResultQuery,
  fields: QueryFields,
  page: PageRequest,
): Promise<PageOf<ResultView>> {
  const found = await listRuns(db.knex, await resultFilter(db, query, fields), page);
  return { ...found, items: await withTransferability(db, found.items) };
}

export async function allResults(db: Db, query: ResultQuery, fields: QueryFields): Promise<ResultView[]> {
  const filter = await resultFilter(db, query, fields);
  return withTransferability(db, await collectAll((page) => listRuns(db.knex, filter, page)));
}

export async function resultById(db: Db, id: string): Promise<ResultView> {
  const run = await getRun(db.knex, id);
  if (!run) throw notFound('result', id);
  return (await withTransferability(db, [run]))[0]!;
}

/** Validates and stores a batch in one transaction: every result is stored, or none. */
export async function importResults(
  db: Db,
  items: readonly unknown[],
  field: (path: string) => string,
): Promise<ResultView[]> {
  const results = await validateContributions(db, items, { field });
  return db.knex.transaction(async (trx) =>
    withTransferability({ knex: trx }, await storeContributions(trx, results, field)),
  );
}

export interface Contribution {
  readonly items: readonly unknown[];
  readonly field: (path: string) => string;
  /** Who sends it: the contributor of every result. */
  readonly sender: Sender;
  /** The Idempotency-Key, and the request it keys: a retry of the same request gets the first reply again. */
  readonly idempotencyKey?: string;
  readonly request: unknown;
  /** The reply to store and send, made from the stored results. */
  readonly reply: (stored: readonly ResultView[]) => Reply;
}

export async function contributeResults(db: Db, c: Contribution): Promise<Reply & { readonly replayed: boolean }> {
  const items = await attribute(db, c.items, c.sender, c.field);
  const results = await validateContributions(db, items, { field: c.field });
  // Keyed by sender too: one owner's key never replays another's answer.
  return idempotent(db.knex, c.idempotencyKey, { sender: c.sender.owner, request: c.request }, async (trx) =>
    c.reply(await withTransferability({ knex: trx }, await storeContributions(trx, results, c.field))),
  );
}
