import type { Knex } from 'knex';

/** The first schema: the registry, probes, embeddings, expert answers and transfer results. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('contributors', (t) => {
    t.string('id', 64).primary();
    t.string('name', 200).notNullable();
    t.string('email', 320);
    t.string('role', 16).notNullable().defaultTo('contributor');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('api_tokens', (t) => {
    t.increments('id').primary();
    t.string('contributor_id', 64).notNullable().references('contributors.id').onDelete('CASCADE');
    t.string('token_hash', 128).notNullable().unique();
    t.string('label', 200);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('revoked_at', { useTz: true });
  });

  await knex.schema.createTable('datasets', (t) => {
    t.string('id', 64).primary();
    t.string('name', 200).notNullable();
    t.text('description').notNullable();
    t.string('origin', 16).notNullable();
    t.string('modality', 64).notNullable();
    t.integer('images').notNullable();
    t.integer('classes').notNullable();
    t.string('image_size', 32).notNullable();
    t.integer('channels').notNullable();
    t.string('licence', 200).notNullable();
    t.text('citation');
    t.string('homepage', 500);
    t.string('backbone', 500);
    t.text('expert_features');
    t.text('profile');
    t.string('origin_of_record', 16).notNullable();
    t.string('content_hash', 64).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['origin']);
    t.index(['modality']);
  });

  await knex.schema.createTable('probes', (t) => {
    t.string('id', 128).primary();
    t.string('name', 200).notNullable();
    t.string('architecture', 100).notNullable();
    t.integer('input_size').notNullable();
    t.string('pixel_scaling', 32).notNullable();
    t.text('description');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('embeddings', (t) => {
    t.increments('id').primary();
    t.string('dataset_id', 64).notNullable().references('datasets.id').onDelete('CASCADE');
    t.string('probe_id', 128).notNullable().references('probes.id');
    t.string('method', 32).notNullable();
    t.integer('dimension').notNullable();
    t.binary('hessian').notNullable();
    t.binary('scale');
    t.text('options').notNullable();
    t.integer('seed');
    t.integer('image_count');
    t.integer('duration_ms');
    t.string('origin_of_record', 16).notNullable();
    t.string('contributor_id', 64).references('contributors.id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['dataset_id', 'probe_id']);
  });

  await knex.schema.createTable('expert_assessments', (t) => {
    t.increments('id').primary();
    t.string('dataset_id', 64).notNullable().references('datasets.id').onDelete('CASCADE');
    t.string('observer', 200).notNullable();
    t.text('answers').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['dataset_id', 'observer']);
  });

  await knex.schema.createTable('published_expert_distances', (t) => {
    t.string('target_id', 64).notNullable().references('datasets.id').onDelete('CASCADE');
    t.string('source_id', 64).notNullable().references('datasets.id').onDelete('CASCADE');
    t.integer('distance').notNullable();
    t.string('publication', 200).notNullable();
    t.primary(['target_id', 'source_id']);
  });

  await knex.schema.createTable('transfer_runs', (t) => {
    t.string('id', 64).primary();
    t.string('source_id', 64).references('datasets.id');
    t.string('target_id', 64).notNullable().references('datasets.id');
    t.string('architecture', 100).notNullable();
    t.integer('folds').notNullable();
    t.string('metric', 64).notNullable();
    t.integer('image_size');
    t.integer('epochs');
    t.text('protocol_notes');
    t.string('contributor_id', 64).notNullable().references('contributors.id');
    t.string('reference', 500);
    t.string('duplicate_key', 64).notNullable();
    t.string('idempotency_key', 200).unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('withdrawn_at', { useTz: true });
    t.string('withdrawn_by', 64);
    t.index(['target_id']);
    t.index(['source_id']);
    t.index(['duplicate_key']);
  });

  await knex.schema.createTable('transfer_results', (t) => {
    t.string('run_id', 64).notNullable().references('transfer_runs.id').onDelete('CASCADE');
    t.integer('fold').notNullable();
    t.double('value').notNullable();
    t.primary(['run_id', 'fold']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'transfer_results',
    'transfer_runs',
    'published_expert_distances',
    'expert_assessments',
    'embeddings',
    'probes',
    'datasets',
    'api_tokens',
    'contributors',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
