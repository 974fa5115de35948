import type { Knex } from 'knex';

export interface PublishedExpertDistance {
  readonly target: string;
  readonly source: string;
  readonly distance: number;
  readonly publication: string;
}

export async function replacePublishedExpertDistances(
  db: Knex,
  publication: string,
  rows: readonly PublishedExpertDistance[],
): Promise<void> {
  await db('published_expert_distances').where({ publication }).delete();
  if (rows.length > 0) {
    await db('published_expert_distances').insert(
      rows.map((r) => ({ target_id: r.target, source_id: r.source, distance: r.distance, publication: r.publication })),
    );
  }
}

export async function listPublishedExpertDistances(db: Knex): Promise<PublishedExpertDistance[]> {
  const rows = (await db('published_expert_distances').select('*').orderBy(['target_id', 'source_id'])) as {
    target_id: string;
    source_id: string;
    distance: number;
    publication: string;
  }[];
  return rows.map((r) => ({
    target: r.target_id,
    source: r.source_id,
    distance: Number(r.distance),
    publication: r.publication,
  }));
}
