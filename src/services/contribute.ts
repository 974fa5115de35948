/**
 * Contributions of transfer results: validated as a batch, checked against stored results for
 * duplicates, and written in one transaction, so a rejected batch stores nothing.
 *
 * Who sent a result is, for now, what its provenance says: API tokens arrive with a later change,
 * and until then the contributor row is created from the name given.
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
  withdrawRun,
} from '../store/index.js';
import { duplicateKey, validateBatch, type StoredResult, type TransferResult } from '../transfer/index.js';

export const CONTRIBUTOR_ID = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

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

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
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

/**
 * Withdrawal keeps the result (and who sent it) but takes it out of every listing, analysis and
 * model. Only its contributor or an admin may withdraw it.
 */
export function withdrawResult(db: Db, id: string, by: string): Promise<StoredResult> {
  return db.knex.transaction((trx) => withdraw(trx, id, by));
}

async function withdraw(db: Knex, id: string, by: string): Promise<StoredResult> {
  const run = await getRun(db, id);
  if (!run) throw notFound('result', id);
  if (run.withdrawnAt !== undefined)
    throw conflict(`result ${id} was already withdrawn at ${run.withdrawnAt}`, [
      { field: 'id', message: 'already withdrawn' },
    ]);
  const contributor = run.provenance.contributor;
  if (by !== contributor && (await contributorRole(db, by)) !== 'admin') {
    throw new AppError(
      'forbidden',
      'Not yours to withdraw',
      `result ${id} was contributed by '${contributor}'; only they or an admin can withdraw it, not '${by}'`,
      [{ field: 'contributor', message: "neither the result's contributor nor an admin" }],
    );
  }
  await withdrawRun(db, id, by);
  return (await getRun(db, id))!;
}
