import type { Knex } from 'knex';
import { nowIso } from './rows.js';

export type Role = 'contributor' | 'admin';

export interface Contributor {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
}

export async function ensureContributor(db: Knex, contributor: Contributor): Promise<void> {
  const existing = await db('contributors').where({ id: contributor.id }).first('id');
  if (!existing) await db('contributors').insert({ ...contributor, created_at: nowIso() });
}
