import type { Knex } from 'knex';

/**
 * Where a registered probe's weights live, so that an embedding can be computed with it later:
 * `bundled:<folder>` for a probe shipped with the package (found wherever it is installed), an
 * absolute folder for one a user registered, null for probes known only from imported or
 * published embeddings.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('probes', (t) => {
    t.string('location', 1000);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('probes', (t) => {
    t.dropColumn('location');
  });
}
