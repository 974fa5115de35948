/**
 * Which probe's embeddings to compare when the caller names none: one rule for the ranker and for
 * distances. The order is fixed by configuration and reviewed files, never by what was written
 * most or last, so that no number of contributed embeddings can move it:
 *
 * 1. the probe named by TA_DEFAULT_PROBE (id, id prefix or name), when set;
 * 2. the probe of the registry's published embeddings (loaded by seed from reviewed files);
 * 3. the bundled probe.
 *
 * Among datasets that share none of these, distances use the shared probe with the smallest id.
 */
import { isBundledLocation } from '../probes/index.js';
import { listEmbeddings, listProbes, type StoredEmbedding } from '../store/index.js';
import { findProbe } from './find-probe.js';
import type { Db } from './session.js';

export const DEFAULT_PROBE_VARIABLE = 'TA_DEFAULT_PROBE';

/** Probe ids in order of preference. */
export async function preferredProbes(db: Db, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const named = env[DEFAULT_PROBE_VARIABLE]?.trim();
  const configured = named ? [(await findProbe(db, named, DEFAULT_PROBE_VARIABLE)).id] : [];
  const published = [...new Set((await listEmbeddings(db.knex, { origin: 'published' })).map((e) => e.probeId))].sort();
  const bundled = (await listProbes(db.knex))
    .filter((p) => isBundledLocation(p.location))
    .map((p) => p.id)
    .sort();
  return [...new Set([...configured, ...published, ...bundled])];
}

/** The first preferred probe among `available`, or null when none of them is. */
export function firstPreferred(preferred: readonly string[], available: Iterable<string>): string | null {
  const have = new Set(available);
  return preferred.find((id) => have.has(id)) ?? null;
}

/**
 * One embedding per (dataset, probe): the registry's published one where there is one, since a
 * contribution must not replace reviewed evidence every recommendation uses; else the latest
 * stored, since a recomputation supersedes what it replaces.
 */
export function latestEmbeddings(embeddings: readonly StoredEmbedding[]): StoredEmbedding[] {
  const latest = new Map<string, StoredEmbedding>();
  const rank = (e: StoredEmbedding): [number, number] => [e.origin === 'published' ? 1 : 0, e.id];
  for (const e of embeddings) {
    const key = JSON.stringify([e.datasetId, e.probeId]);
    const held = latest.get(key);
    const [p, id] = rank(e);
    if (held === undefined || p > rank(held)[0] || (p === rank(held)[0] && id > held.id)) latest.set(key, e);
  }
  return [...latest.values()];
}
