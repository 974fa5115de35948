/**
 * Contributions of transfer results: validated as a batch, checked against stored results for
 * duplicates, and written in one transaction, so a rejected batch stores nothing.
 *
 * Who sent a result is the caller (`attribute`): a token's owner, never a name in the body, which
 * may only repeat it. Published studies belong to the registry: their results, and results citing a
 * study's DOI or URL, are an admin's to write, withdraw and restore.
 */
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Db } from './session.js';
import { definedOnly } from '../defaults.js';
import { conflict, invalid, notFound, AppError, type FieldError } from '../errors.js';
import { plainProblem } from '../plain.js';
import {
  allRuns,
  contributorRole,
  ensureContributor,
  existingDatasetIds,
  getRun,
  insertRun,
  isUniqueViolation,
  listStudies,
  restoreRun,
  withdrawRun,
} from '../store/index.js';
import { duplicateKey, validateBatch, type StoredResult, type TransferResult } from '../transfer/index.js';
import { CONTRIBUTOR_ID, type Actor } from './tokens.js';

export interface ContributeOptions {
  /** Turns a validation path (`[0].folds[2].value`) into the caller's field name. */
  readonly field?: (path: string) => string;
  /** Fills provenance.contributor when the sender is known some other way (a CLI flag). */
  readonly contributor?: string;
}

function stringsIn(inputs: readonly unknown[], key: 'source' | 'target'): string[] {
  return inputs.flatMap((i) => {
    const v = typeof i === 'object' && i !== null ? (i as Record<string, unknown>)[key] : undefined;
    return typeof v === 'string' ? [v.trim()] : [];
  });
}

function refuse(message: string, errors: readonly FieldError[], field: (path: string) => string): never {
  const fields = errors.map((e) => ({ field: field(e.field), message: e.message }));
  const first = fields[0];
  throw invalid(
    first
      ? `${message}: ${first.field}: ${first.message}${fields.length > 1 ? ` (and ${fields.length - 1} more)` : ''}`
      : message,
    fields,
  );
}

/** Validates raw contributions (as the API takes them) against the datasets in the store. */
export async function validateContributions(
  { knex: db }: Db,
  inputs: readonly unknown[],
  options: ContributeOptions = {},
): Promise<TransferResult[]> {
  const field = options.field ?? ((p: string) => p);
  const unstorable = inputs.flatMap((input, i) => {
    const problem = plainProblem(input, `[${i}]`);
    return problem ? [{ field: problem.field.replace(/\.(\d+)(?=\.|$)/g, '[$1]'), message: problem.message }] : [];
  });
  if (unstorable.length > 0) refuse('values no store can hold alike', unstorable, field);
  const known = await existingDatasetIds(
    db,
    [...stringsIn(inputs, 'source'), ...stringsIn(inputs, 'target')].filter((id) => id !== ''),
  );
  const outcome = validateBatch(inputs, {
    isKnownDataset: (id) => known.has(id),
    ...definedOnly({ contributor: options.contributor }),
  });
  if (!outcome.ok)
    refuse(
      `${outcome.errors.length} problem${outcome.errors.length === 1 ? '' : 's'} in the submitted results`,
      outcome.errors,
      field,
    );
  const badNames: FieldError[] = [];
  outcome.value.forEach((r, i) => {
    if (!CONTRIBUTOR_ID.test(r.provenance.contributor)) {
      badNames.push({
        field: `[${i}].provenance.contributor`,
        message: `'${r.provenance.contributor}' is not a contributor id (letters, digits and . _ @ + -, at most 64)`,
      });
    }
  });
  if (badNames.length > 0) refuse('invalid contributor', badNames, field);
  return outcome.value;
}

async function storedDuplicates(db: Knex, results: readonly TransferResult[]): Promise<Map<string, string>> {
  const byKey = new Map<string, string>();
  for (const target of new Set(results.map((r) => r.target))) {
    for (const run of await allRuns(db, { target })) byKey.set(duplicateKey(run), run.id);
  }
  return byKey;
}

/**
 * Stores validated results inside the caller's transaction. A result equal to an active stored one
 * (same source, target, architecture, protocol and values) refuses the whole batch, naming it.
 */
export async function storeContributions(
  trx: Knex.Transaction,
  results: readonly TransferResult[],
  field: (path: string) => string = (p) => p,
): Promise<StoredResult[]> {
  const existing = await storedDuplicates(trx, results);
  const duplicates = results.flatMap((r, i) => {
    const id = existing.get(duplicateKey(r));
    return id === undefined
      ? []
      : [
          {
            field: field(`[${i}]`),
            message: `duplicates stored result ${id} (same source, target, architecture, protocol and values)`,
          },
        ];
  });
  if (duplicates.length > 0) {
    const first = duplicates[0]!;
    const more = duplicates.length > 1 ? ` (and ${duplicates.length - 1} more)` : '';
    throw conflict(
      `${duplicates.length === 1 ? 'a submitted result is' : `${duplicates.length} submitted results are`} already stored: ${first.field} ${first.message}${more}`,
      duplicates,
    );
  }
  for (const contributor of new Set(results.map((r) => r.provenance.contributor))) {
    await ensureContributor(trx, { id: contributor, name: contributor, role: 'contributor' });
  }
  const ids: string[] = [];
  try {
    for (const r of results) {
      const id = `r_${randomBytes(12).toString('hex')}`;
      await insertRun(trx, { ...r, id, duplicateKey: duplicateKey(r) });
      ids.push(id);
    }
  } catch (err) {
    if (isUniqueViolation(err))
      throw conflict('a concurrent request stored the same result first; nothing from this batch was stored');
    throw err;
  }
  const runs: StoredResult[] = [];
  for (const id of ids) runs.push((await getRun(trx, id))!);
  return runs;
}

/** Who is sending a contribution: a token's owner, or on a tokenless local server whoever the body names. */
export interface Sender extends Actor {
  /** A token's owner is the contributor; the body may only repeat the name. */
  readonly authenticated: boolean;
}

function provenanceOf(item: unknown): Record<string, unknown> | undefined {
  const p = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)['provenance'] : undefined;
  return typeof p === 'object' && p !== null && !Array.isArray(p) ? (p as Record<string, unknown>) : undefined;
}

const doiKey = (doi: string) =>
  doi
    .trim()
    .toLowerCase()
    .replace(/^(https?:\/\/(dx\.)?doi\.org\/|doi:)/, '');

/**
 * Sets each raw contribution's contributor to its sender: an authenticated sender's owner (a
 * different name in the body is refused), else the body's name or `local`. A sender who is no admin
 * may not cite a published study's DOI or URL: those results are the registry's.
 */
export async function attribute(
  { knex: db }: Db,
  items: readonly unknown[],
  sender: Sender,
  field: (path: string) => string = (p) => p,
): Promise<unknown[]> {
  const named = items.flatMap((item, i) => {
    const given = provenanceOf(item)?.['contributor'];
    return sender.authenticated && given !== undefined && given !== sender.owner
      ? [{ field: field(`[${i}].provenance.contributor`), message: "must be left out or be the token's owner" }]
      : [];
  });
  if (named.length > 0)
    throw invalid(
      `${named[0]!.field}: a contribution is recorded under its token's owner ('${sender.owner}'); leave provenance.contributor out or give that name`,
      named,
    );
  if (!sender.admin) {
    const studies = await listStudies(db);
    const dois = new Set(studies.flatMap((s) => (s.doi ? [doiKey(s.doi)] : [])));
    const urls = new Set(studies.flatMap((s) => (s.url ? [s.url.trim()] : [])));
    const cited = items.flatMap((item, i) => {
      const p = provenanceOf(item);
      const doi = typeof p?.['doi'] === 'string' && dois.has(doiKey(p['doi'])) ? 'doi' : undefined;
      const url =
        typeof p?.['url'] === 'string' && (urls.has(p['url'].trim()) || dois.has(doiKey(p['url']))) ? 'url' : undefined;
      const which = doi ?? url;
      return which ? [{ field: field(`[${i}].provenance.${which}`), message: "a published study's reference" }] : [];
    });
    if (cited.length > 0)
      throw new AppError(
        'forbidden',
        'Registry evidence',
        `${cited[0]!.field}: results under a published study's DOI or URL belong to the registry; only an admin may submit them`,
        cited,
      );
  }
  return items.map((item) => {
    const p = provenanceOf(item);
    if (p === undefined) return item;
    const contributor = sender.authenticated ? sender.owner : (p['contributor'] ?? sender.owner);
    return { ...(item as Record<string, unknown>), provenance: { ...p, contributor } };
  });
}

/**
 * Withdrawal keeps the result (and who sent it) but takes it out of every listing, analysis and
 * model; restoring brings it back. A study's result is an admin's to change, any other its
 * contributor's or an admin's; a refusal never names the owner.
 */
export function withdrawResult(db: Db, id: string, by: Actor): Promise<StoredResult> {
  return db.knex.transaction((trx) => changeWithdrawal(trx, id, by, 'withdraw'));
}

export function restoreResult(db: Db, id: string, by: Actor): Promise<StoredResult> {
  return db.knex.transaction((trx) => changeWithdrawal(trx, id, by, 'restore'));
}

async function changeWithdrawal(
  db: Knex,
  id: string,
  by: Actor,
  action: 'withdraw' | 'restore',
): Promise<StoredResult> {
  const run = await getRun(db, id);
  if (!run) throw notFound('result', id);
  const admin = by.admin || (await contributorRole(db, by.owner)) === 'admin';
  const allowed = admin || (run.study === undefined && by.owner === run.provenance.contributor);
  if (!allowed)
    throw new AppError(
      'forbidden',
      `Not yours to ${action}`,
      run.study !== undefined
        ? `result ${id} belongs to a published study; only an admin can ${action} it`
        : `result ${id} was contributed by someone else; only its contributor or an admin can ${action} it`,
      [{ field: 'id', message: run.study !== undefined ? "a published study's result" : 'not your result' }],
    );
  if (action === 'withdraw' && run.withdrawnAt !== undefined)
    throw conflict(`result ${id} was already withdrawn at ${run.withdrawnAt}`, [
      { field: 'id', message: 'already withdrawn' },
    ]);
  if (action === 'restore' && run.withdrawnAt === undefined)
    throw conflict(`result ${id} is not withdrawn`, [{ field: 'id', message: 'not withdrawn' }]);
  try {
    if (action === 'withdraw') await withdrawRun(db, id, by.owner);
    else await restoreRun(db, id);
  } catch (err) {
    // Restoring a result whose equal was contributed again meanwhile would make two active copies.
    if (isUniqueViolation(err))
      throw conflict(`result ${id} cannot be restored: an equal result is active`, [
        { field: 'id', message: 'an equal result is active' },
      ]);
    throw err;
  }
  return (await getRun(db, id))!;
}
