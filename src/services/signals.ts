/**
 * The distance signals the store can supply, as the ranking domain's pair distances:
 * - `task2vec:<probe>`: Task2Vec's symmetric cosine between stored embeddings made with that probe;
 * - `cosine:<probe>`: the plain cosine of the same embeddings (the distance the cats-scans study used);
 * - `expert`: the Hamming distance of expert features, as published where a study gave one, else
 *   computed from the registry's features by the experts module.
 */
import type { Knex } from 'knex';
import type { Db } from './session.js';
import { invalid } from '../errors.js';
import { expertDistance, PublishedExpertDistances, type ExpertFeatures } from '../experts/index.js';
import type { Dataset } from '../registry/index.js';
import type { DistanceProxy, PairDistance } from '../ranking/index.js';
import {
  collectAll,
  listDatasets,
  listEmbeddings,
  listProbes,
  listPublishedExpertDistances,
  type StoredEmbedding,
} from '../store/index.js';
// The distance module alone: the task2vec index also loads TensorFlow.js, which plain arithmetic does not need.
import { distanceMatrix, type DistanceName, type ComparableEmbedding } from '../task2vec/index.js';
import type { PixelScaling } from '../probes/index.js';
import { latestEmbeddings } from './default-probe.js';

export const EXPERT_SIGNAL = 'expert';
const EMBEDDING_DISTANCES: readonly { readonly prefix: string; readonly name: DistanceName }[] = [
  { prefix: 'task2vec', name: 'task2vec_cosine' },
  { prefix: 'cosine', name: 'plain_cosine' },
];

export function task2vecSignal(probe: string): string {
  return `task2vec:${probe}`;
}

export function isEmbeddingSignal(signal: string): boolean {
  return EMBEDDING_DISTANCES.some((d) => signal.startsWith(`${d.prefix}:`));
}

export interface ProbeCoverage {
  readonly id: string;
  readonly name: string;
  /** Datasets with an embedding made with this probe. */
  readonly datasets: readonly string[];
}

export interface Signals {
  readonly datasets: readonly Dataset[];
  readonly distances: readonly PairDistance[];
  readonly probes: readonly ProbeCoverage[];
}

function latestPerProbe(embeddings: readonly StoredEmbedding[]): Map<string, Map<string, StoredEmbedding>> {
  const byProbe = new Map<string, Map<string, StoredEmbedding>>();
  for (const e of latestEmbeddings(embeddings))
    byProbe.set(e.probeId, (byProbe.get(e.probeId) ?? new Map<string, StoredEmbedding>()).set(e.datasetId, e));
  return byProbe;
}

async function embeddingDistances(
  db: Knex,
  keep: (e: StoredEmbedding) => boolean,
): Promise<{ distances: PairDistance[]; probes: ProbeCoverage[] }> {
  const probes = new Map((await listProbes(db)).map((p) => [p.id, p]));
  const distances: PairDistance[] = [];
  const coverage: ProbeCoverage[] = [];
  for (const [probeId, byDataset] of [...latestPerProbe((await listEmbeddings(db)).filter(keep))].sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    const record = probes.get(probeId);
    const identity = {
      id: probeId,
      name: record?.name ?? probeId,
      architecture: record?.architecture ?? 'unknown',
      inputSize: record?.input_size ?? 0,
      pixelScaling: (record?.pixel_scaling ?? 'zero1') as PixelScaling,
    };
    const ids = [...byDataset.keys()].sort();
    const embeddings: ComparableEmbedding[] = ids.map((id) => {
      const e = byDataset.get(id)!;
      // Monte Carlo and exact Fisher embeddings carry no scale; theirs is all ones.
      return {
        hessian: e.hessian,
        scale: e.scale ?? new Float32Array(e.hessian.length).fill(1),
        probe: identity,
        dataset: id,
      };
    });
    coverage.push({ id: probeId, name: identity.name, datasets: ids });
    for (const { prefix, name } of EMBEDDING_DISTANCES) {
      const matrix = distanceMatrix(embeddings, name);
      for (let i = 0; i < ids.length; i++) {
        for (let j = i; j < ids.length; j++) {
          distances.push({
            signal: `${prefix}:${probeId}`,
            source: ids[i]!,
            target: ids[j]!,
            value: matrix.values[i * ids.length + j]!,
          });
        }
      }
    }
  }
  return { distances, probes: coverage };
}

async function expertDistances(db: Knex, datasets: readonly Dataset[]): Promise<PairDistance[]> {
  const published = new PublishedExpertDistances(
    (await listPublishedExpertDistances(db)).map((d) => ({
      a: d.target,
      b: d.source,
      distance: d.distance,
      source: d.publication,
    })),
  );
  const features = new Map<string, ExpertFeatures>(
    datasets.flatMap((d) => (d.expert_features ? [[d.id, d.expert_features] as const] : [])),
  );
  const out: PairDistance[] = [];
  const ids = datasets.map((d) => d.id).sort();
  for (let i = 0; i < ids.length; i++) {
    for (let j = i; j < ids.length; j++) {
      const a = ids[i]!;
      const b = ids[j]!;
      // A self-pair is kept only where a study published it, so the analysis can say it left it out.
      if (published.get(a, b) === undefined && (a === b || !(features.has(a) && features.has(b)))) continue;
      out.push({
        signal: EXPERT_SIGNAL,
        source: a,
        target: b,
        value: expertDistance(a, b, features, published).distance,
      });
    }
  }
  return out;
}

export interface SignalOptions {
  /**
   * Leave out embeddings imported for the registry's datasets: anyone with a contribute token may
   * import one, and the ranker's distances between registry datasets steer every recommendation.
   * A contributor's own dataset keeps its imported embedding.
   */
  readonly registryEmbeddingsOnly?: boolean;
}

export async function loadSignals({ knex: db }: Db, options: SignalOptions = {}): Promise<Signals> {
  const datasets = await collectAll((page) => listDatasets(db, {}, page));
  const registry = new Set(datasets.filter((d) => d.record_origin === 'registry').map((d) => d.id));
  const embedded = await embeddingDistances(db, (e) =>
    options.registryEmbeddingsOnly === true ? !(e.origin === 'imported' && registry.has(e.datasetId)) : true,
  );
  return {
    datasets,
    distances: [...embedded.distances, ...(await expertDistances(db, datasets))],
    probes: embedded.probes,
  };
}

/**
 * `imagenet=stl10` mappings: a dataset without an embedding borrows another's. They apply to
 * embedding signals only (expert features exist for every dataset that has any), and are off unless asked for.
 */
export function parseProxy(specs: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const spec of specs
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const m = /^([a-z0-9][a-z0-9-]{0,63})=([a-z0-9][a-z0-9-]{0,63})$/.exec(spec);
    if (!m)
      throw invalid(`'${spec}' is not a proxy mapping; write missing=stand-in, e.g. imagenet=stl10`, [
        { field: 'proxy', message: 'dataset=stand-in' },
      ]);
    if (m[1] === m[2])
      throw invalid(`proxy '${spec}' maps a dataset to itself`, [
        { field: 'proxy', message: 'maps a dataset to itself' },
      ]);
    map[m[1]!] = m[2]!;
  }
  return map;
}

export function embeddingProxy(
  map: Readonly<Record<string, string>>,
  distances: readonly PairDistance[],
): DistanceProxy | undefined {
  if (Object.keys(map).length === 0) return undefined;
  return { map, signals: [...new Set(distances.map((d) => d.signal))].filter(isEmbeddingSignal).sort() };
}
