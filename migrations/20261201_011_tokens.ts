import type { Knex } from 'knex';

/**
 * API tokens. The first schema reserved an `api_tokens` table that nothing ever wrote; it is
 * replaced by this one. Only a SHA-256 of each token is kept: tokens are 32 random bytes, so a
 * plain hash is as hard to reverse as the token is to guess, and a lookup stays one indexed query.
 * The owner is a name, not a reference: a token may be minted before its owner contributes anything.
 * Revoked tokens stay listed (who had access, and until when); `last_used_at` is refreshed at most
 * once a minute per token so that reads do not turn into writes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('api_tokens');
  await knex.schema.createTable('api_tokens', (t) => {
    t.string('id', 40).primary();
    t.string('owner', 64).notNullable();
    t.string('scopes', 100).notNullable();
    t.string('token_hash', 64).notNullable().unique();
    t.string('created_at', 40).notNullable();
    t.string('last_used_at', 40);
    t.string('revoked_at', 40);
    t.index(['owner']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('api_tokens');
  await knex.schema.createTable('api_tokens', (t) => {
    t.increments('id').primary();
    t.string('contributor_id', 64).notNullable().references('contributors.id').onDelete('CASCADE');
    t.string('token_hash', 128).notNullable().unique();
    t.string('label', 200);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('revoked_at', { useTz: true });
  });
}
