import type { Knex } from 'knex';
import type { Role } from './contributors.js';

/** The role of a recorded contributor, or undefined for an id nobody has used yet. */
export async function contributorRole(db: Knex, id: string): Promise<Role | undefined> {
  const row = (await db('contributors').where({ id }).first('role')) as { role: Role } | undefined;
  return row?.role;
}
