import type { Knex } from 'knex';

/** Fitted ranker models (versioned, kept), replayable contribution responses, and one active copy of each result. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ranker_models', (t) => {
    t.string('version', 64).primary();
    // The data a model was fitted on, hashed: when results change the hash changes and the next use refits.
    t.string('training_hash', 64).notNullable().unique();
    t.text('signals').notNullable();
    t.text('model').notNullable();
    t.text('summary').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('idempotency_keys', (t) => {
    t.string('key', 200).primary();
    t.string('request_hash', 64).notNullable();
    t.integer('status').notNullable();
    t.text('response').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  // Two concurrent submissions of the same result cannot both pass the duplicate check.
  await knex.raw(
    'create unique index transfer_runs_active_duplicate on transfer_runs (duplicate_key) where withdrawn_at is null',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists transfer_runs_active_duplicate');
  await knex.schema.dropTableIfExists('idempotency_keys');
  await knex.schema.dropTableIfExists('ranker_models');
}
