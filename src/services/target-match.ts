/**
 * Which measured targets a new target resembles, by Task2Vec under a probe they share, and whether it
 * is one of them (see ranking/target-match), from the stored embeddings (read once per recommendation)
 * and the registry's same-data distances; the comparison itself is the domain's.
 */
import type { Db } from './session.js';
import { registryDir } from '../paths.js';
import { readEmbeddingNoise } from '../registry/embedding-noise.js';
import { matchMeasuredTarget, sameDataBound, type TargetMatch } from '../ranking/index.js';
import { distance } from '../task2vec/distance.js';
import type { PixelScaling, ProbeIdentity } from '../probes/index.js';
import { listEmbeddings, listProbes, type ProbeRecord, type StoredEmbedding } from '../store/index.js';
import { latestEmbeddings } from './default-probe.js';
import { comparable, identityOf } from './distances.js';

/** The identity of a stored embedding's probe; a probe row always exists for a stored embedding, the fallback keeps the name. */
function identityFor(probes: ReadonlyMap<string, ProbeRecord>, id: string): ProbeIdentity {
  const record = probes.get(id);
  return record === undefined
    ? { id, name: id, architecture: 'unknown', inputSize: 0, pixelScaling: 'zero1' as PixelScaling }
    : identityOf(record);
}

/** The stored embeddings and probes both comparisons start from, read once for a recommendation. */
export interface StoredTask2Vec {
  readonly embeddings: readonly StoredEmbedding[];
  readonly probes: ReadonlyMap<string, ProbeRecord>;
}

export async function readStoredTask2Vec(db: Db): Promise<StoredTask2Vec> {
  const [embeddings, probes] = await Promise.all([listEmbeddings(db.knex), listProbes(db.knex)]);
  return { embeddings, probes: new Map(probes.map((p) => [p.id, p])) };
}

/**
 * The comparison under each probe the target has an embedding made with: the one that matches a
 * measured target, else the one that compares the most measured targets (the preferred probe first
 * on ties); null when the target has no embedding or no probe of its reaches a measured target.
 * A measured target's embedding imported by a contributor is not compared: a match decides whose
 * measured results a recommendation shows.
 */
export function compareWithMeasuredTargets(
  { embeddings: all, probes }: StoredTask2Vec,
  target: string,
  measured: ReadonlySet<string>,
  registry: ReadonlySet<string>,
  preferred: readonly string[],
  registryFolder: string = registryDir(),
): TargetMatch | null {
  const embeddings = latestEmbeddings(
    all.filter(
      (e) =>
        e.datasetId === target ||
        (measured.has(e.datasetId) && !(e.origin === 'imported' && registry.has(e.datasetId))),
    ),
  );
  const own = embeddings.filter((e) => e.datasetId === target);
  if (own.length === 0) return null;
  const noise = readEmbeddingNoise(registryFolder);
  const order = (probe: string) => {
    const i = preferred.indexOf(probe);
    return i < 0 ? preferred.length : i;
  };
  const results = own.map((e) => {
    const identity = identityFor(probes, e.probeId);
    const others = embeddings
      .filter((m) => m.datasetId !== target && m.probeId === e.probeId)
      .map((m) => comparable(m, identity));
    const bound = sameDataBound(noise.get(e.probeId)?.same_data.map((s) => s.distance) ?? []);
    return matchMeasuredTarget(comparable(e, identity), others, bound);
  });
  const best = results
    .filter((r) => r.compared > 0)
    .sort(
      (a, b) =>
        Number(b.verdict === 'match') - Number(a.verdict === 'match') ||
        b.compared - a.compared ||
        order(a.probe) - order(b.probe),
    )[0];
  return best ?? null;
}

export interface SourceDistance {
  readonly source: string;
  readonly distance: number;
}

/** A target's Task2Vec distances to the candidates' source datasets under one probe both were embedded with. */
export interface SourceDistances {
  readonly probe: string;
  /** Nearest first. */
  readonly items: readonly SourceDistance[];
}

/**
 * The target's task2vec_cosine distance to every source with an embedding under a probe the target
 * was embedded with: `probe` when given (the one the measured targets were compared under), else the
 * probe that reaches the most sources. A source's embedding imported by a contributor for a registry
 * dataset is left out, as for measured targets. Null when the target has no embedding or no source
 * shares a probe with it.
 */
export function distancesToSources(
  { embeddings: all, probes }: StoredTask2Vec,
  target: string,
  sources: readonly string[],
  registry: ReadonlySet<string>,
  probe: string | null,
): SourceDistances | null {
  const wanted = new Set(sources);
  const embeddings = latestEmbeddings(
    all.filter(
      (e) =>
        e.datasetId === target || (wanted.has(e.datasetId) && !(e.origin === 'imported' && registry.has(e.datasetId))),
    ),
  );
  const under = (own: StoredEmbedding): SourceDistances => {
    const identity = identityFor(probes, own.probeId);
    const t = comparable(own, identity);
    const items = embeddings
      .filter((e) => e.datasetId !== target && e.probeId === own.probeId)
      .map((e) => ({ source: e.datasetId, distance: distance(t, comparable(e, identity), 'task2vec_cosine') }))
      .sort((a, b) => a.distance - b.distance || a.source.localeCompare(b.source));
    return { probe: own.probeId, items };
  };
  const own = embeddings.filter((e) => e.datasetId === target && (probe === null || e.probeId === probe));
  const best = own.map(under).sort((a, b) => b.items.length - a.items.length || a.probe.localeCompare(b.probe))[0];
  return best === undefined || best.items.length === 0 ? null : best;
}
