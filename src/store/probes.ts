import type { Knex } from 'knex';
import { nowIso } from './rows.js';
import { definedOnly } from '../defaults.js';

export interface ProbeRecord {
  readonly id: string;
  readonly name: string;
  readonly architecture: string;
  readonly input_size: number;
  readonly pixel_scaling: string;
  readonly description?: string;
  /** `bundled:<folder>`, an absolute folder, or absent for a probe whose weights the service does not hold. */
  readonly location?: string;
}

type ProbeRow = Omit<ProbeRecord, 'description' | 'location'> & { description: string | null; location: string | null };

const COLUMNS = ['id', 'name', 'architecture', 'input_size', 'pixel_scaling', 'description', 'location'];

function toRecord(r: ProbeRow): ProbeRecord {
  return {
    id: r.id,
    name: r.name,
    architecture: r.architecture,
    input_size: Number(r.input_size),
    pixel_scaling: r.pixel_scaling,
    ...definedOnly({ description: r.description ?? undefined }),
    ...definedOnly({ location: r.location ?? undefined }),
  };
}

/** Inserts a probe the first time it is seen; a known probe gains a location if it had none. */
export async function ensureProbe(db: Knex, probe: ProbeRecord): Promise<void> {
  const existing = (await db('probes').where({ id: probe.id }).first('id', 'location')) as
    { id: string; location: string | null } | undefined;
  if (!existing) {
    await db('probes').insert({
      ...probe,
      description: probe.description ?? null,
      location: probe.location ?? null,
      created_at: nowIso(),
    });
  } else if (probe.location !== undefined && existing.location !== probe.location) {
    await db('probes').where({ id: probe.id }).update({ location: probe.location });
  }
}

export async function getProbe(db: Knex, id: string): Promise<ProbeRecord | undefined> {
  const row = (await db('probes').where({ id }).first(COLUMNS)) as ProbeRow | undefined;
  return row ? toRecord(row) : undefined;
}

export async function listProbes(db: Knex): Promise<ProbeRecord[]> {
  return ((await db('probes').select(COLUMNS).orderBy('id')) as ProbeRow[]).map(toRecord);
}
