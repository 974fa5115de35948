import type { Knex } from 'knex';

/**
 * When each stored ranker last became the one read requests use. Models are kept by the evidence
 * they were fitted on, so evidence that returns to an earlier state (a result withdrawn, then
 * restored) brings back an earlier model: its creation time would leave the later one current.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('ranker_models', (t) => {
    t.timestamp('current_since', { useTz: true });
  });
  await knex('ranker_models').update({ current_since: knex.ref('created_at') });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('ranker_models', (t) => {
    t.dropColumn('current_since');
  });
}
