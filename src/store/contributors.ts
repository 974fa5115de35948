import type { Knex } from 'knex';
import { nowIso } from './rows.js';

export type Role = 'contributor' | 'admin';

export interface Contributor {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
}

/** Records a contributor unless known; concurrent first writes by one contributor both succeed. */
export async function ensureContributor(db: Knex, contributor: Contributor): Promise<void> {
  await db('contributors')
    .insert({ ...contributor, created_at: nowIso() })
    .onConflict('id')
    .ignore();
}
