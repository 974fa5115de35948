import type { Knex } from 'knex';
import { nowIso } from './rows.js';

export type Role = 'contributor' | 'admin';

export interface Contributor {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
}

/**
 * Records a contributor the first time it is seen. Parallel first writes of one name race: the loser's insert
 * does nothing (instead of failing its whole transaction on the primary key), and the row is the winner's.
 */
export async function ensureContributor(db: Knex, contributor: Contributor): Promise<void> {
  const existing = await db('contributors').where({ id: contributor.id }).first('id');
  if (!existing)
    await db('contributors')
      .insert({ ...contributor, created_at: nowIso() })
      .onConflict('id')
      .ignore();
}
