import type { Knex } from 'knex';

/**
 * Published studies, backbones (a source dataset and an architecture, with where the weights come from),
 * one table of pair signals, and the spread of a study's hyper-parameter runs. Results gain their backbone
 * and study: every existing run with a source gets the backbone `<source>-<architecture>`, and the
 * cats-scans runs seeded before studies existed are re-keyed to their study.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('studies', (t) => {
    t.string('id', 64).primary();
    t.text('title').notNullable();
    t.text('authors').notNullable();
    t.integer('year').notNullable();
    t.text('citation').notNullable();
    t.string('doi', 200);
    t.string('url', 500);
    t.string('licence', 200).notNullable();
    t.string('metric', 64).notNullable();
    t.text('protocol').notNullable();
    t.text('candidate_sets').notNullable();
    t.text('signal_definitions').notNullable();
    t.string('content_hash', 64).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('backbones', (t) => {
    t.string('id', 128).primary();
    t.string('source_id', 64).notNullable().references('datasets.id');
    t.string('architecture', 100).notNullable();
    t.text('weights').notNullable();
    t.text('description');
    // The study whose folder introduced it; null for backbones derived from contributed results.
    t.string('study_id', 64).references('studies.id');
    t.string('content_hash', 64).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['source_id']);
  });

  await knex.schema.createTable('pair_signals', (t) => {
    t.increments('id').primary();
    t.string('subject_kind', 16).notNullable();
    t.string('subject', 128).notNullable();
    t.string('target_id', 64).notNullable().references('datasets.id').onDelete('CASCADE');
    t.string('signal', 200).notNullable();
    t.double('value').notNullable();
    // Who says so: `study:<id>` for a published figure, `contributor:<id>` for an import, or the computing estimator.
    t.string('provenance', 200).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['subject_kind', 'subject', 'target_id', 'signal', 'provenance']);
    t.index(['target_id']);
  });

  await knex.schema.createTable('result_spreads', (t) => {
    t.string('study_id', 64).notNullable().references('studies.id').onDelete('CASCADE');
    t.string('backbone_id', 128).notNullable().references('backbones.id');
    t.string('target_id', 64).notNullable().references('datasets.id');
    t.integer('runs').notNullable();
    t.double('min').notNullable();
    t.double('q25').notNullable();
    t.double('median').notNullable();
    t.double('q75').notNullable();
    t.double('max').notNullable();
    t.double('sd').notNullable();
    t.primary(['study_id', 'backbone_id', 'target_id']);
  });

  // Integrity of these two columns is kept by the code that writes runs: SQLite cannot add a foreign key to an existing table.
  await knex.schema.alterTable('transfer_runs', (t) => {
    t.string('backbone_id', 128);
    t.string('study_id', 64);
    t.index(['backbone_id']);
    t.index(['study_id']);
  });

  const pairs = (await knex('transfer_runs').whereNotNull('source_id').distinct('source_id', 'architecture')) as {
    source_id: string;
    architecture: string;
  }[];
  for (const p of pairs) {
    const id = `${p.source_id}-${architectureSlug(p.architecture)}`;
    if (!(await knex('backbones').where({ id }).first())) {
      await knex('backbones').insert({
        id,
        source_id: p.source_id,
        architecture: p.architecture,
        weights: JSON.stringify({ provider: 'unknown', reference: 'derived from a stored result', licence: 'unknown' }),
        content_hash: '',
      });
    }
    await knex('transfer_runs')
      .where({ source_id: p.source_id, architecture: p.architecture })
      .update({ backbone_id: id });
  }
  const seeded = (await knex('transfer_runs')
    .where('idempotency_key', 'like', 'cats-scans:%')
    .select('id', 'idempotency_key', 'target_id', 'backbone_id')) as {
    id: string;
    target_id: string;
    backbone_id: string | null;
  }[];
  for (const r of seeded) {
    await knex('transfer_runs')
      .where({ id: r.id })
      .update({
        study_id: 'cats-scans',
        idempotency_key: `study:cats-scans:${r.backbone_id ?? 'none'}:${r.target_id}`,
      });
  }
}

/** Mirrors src/store/backbones.ts: a migration must not import application code that may change after it. */
function architectureSlug(architecture: string): string {
  return architecture
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('transfer_runs', (t) => {
    t.dropIndex(['backbone_id']);
    t.dropIndex(['study_id']);
    t.dropColumn('backbone_id');
    t.dropColumn('study_id');
  });
  for (const table of ['result_spreads', 'pair_signals', 'backbones', 'studies'])
    await knex.schema.dropTableIfExists(table);
}
