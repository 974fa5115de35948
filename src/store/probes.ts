import type { Knex } from 'knex';
import { nowIso } from './rows.js';

export interface ProbeRecord {
  readonly id: string;
  readonly name: string;
  readonly architecture: string;
  readonly input_size: number;
  readonly pixel_scaling: string;
  readonly description?: string;
}

export async function ensureProbe(db: Knex, probe: ProbeRecord): Promise<void> {
  const existing = await db('probes').where({ id: probe.id }).first('id');
  if (!existing) await db('probes').insert({ ...probe, description: probe.description ?? null, created_at: nowIso() });
}

export async function listProbes(db: Knex): Promise<ProbeRecord[]> {
  const rows = (await db('probes').select('id', 'name', 'architecture', 'input_size', 'pixel_scaling', 'description').orderBy('id')) as (ProbeRecord & { description: string | null })[];
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    architecture: r.architecture,
    input_size: Number(r.input_size),
    pixel_scaling: r.pixel_scaling,
    ...(r.description !== null ? { description: r.description } : {}),
  }));
}
