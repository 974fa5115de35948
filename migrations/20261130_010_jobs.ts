import type { Knex } from 'knex';

/**
 * Jobs: every long operation as a durable record. Times are epoch milliseconds so that the
 * worker's lease arithmetic reads the same on SQLite and PostgreSQL. `attempts` doubles as the
 * lease's fencing token: a worker may only finish the attempt it started.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('jobs', (t) => {
    t.string('id', 36).primary();
    t.string('kind', 40).notNullable();
    t.string('state', 16).notNullable();
    t.text('params').notNullable();
    t.string('requires_backend', 16);
    t.text('progress');
    t.string('result_url', 500);
    t.text('failure');
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('max_attempts').notNullable();
    t.boolean('dead_letter').notNullable().defaultTo(false);
    t.boolean('cancel_requested').notNullable().defaultTo(false);
    t.string('worker', 200);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('started_at');
    t.bigInteger('finished_at');
    t.bigInteger('run_after').notNullable();
    t.bigInteger('heartbeat_at');
    t.index(['state', 'run_after']);
    t.index(['created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('jobs');
}
