import type { Knex } from 'knex';

/**
 * Where an ingested dataset's normalised images live, relative to the data folder so that the
 * folder can move; null for datasets known only by their metadata.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('datasets', (t) => {
    t.string('images_dir', 500);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('datasets', (t) => {
    t.dropColumn('images_dir');
  });
}
