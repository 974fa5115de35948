/**
 * Distances between stored datasets: each dataset's latest embedding under one probe, compared
 * with the distance module. Plain arithmetic over stored vectors; no tensor code is loaded.
 *
 * Which probe: the one asked for, else the default probe among those every dataset has an
 * embedding under (the rule of default-probe.ts, which the ranker shares). Datasets without a
 * common probe are refused, naming the probes each one has.

 */
import type { Knex } from 'knex';
import type { Db } from './session.js';
import { AppError, notFound } from '../errors.js';
import { findProbe } from './find-probe.js';
import type { PixelScaling, ProbeIdentity } from '../probes/index.js';
import {
  existingDatasetIds,
  listEmbeddings,
  type StoredEmbedding,
  listProbes,
  type ProbeRecord,
} from '../store/index.js';
import {
  DEFAULT_ALPHA,
  DISTANCE_CHOICES,
  distance,
  distanceMatrix,
  type ComparableEmbedding,
  type DistanceChoice,
} from '../task2vec/index.js';
import { firstPreferred, latestEmbeddings, preferredProbes } from './default-probe.js';

export { DISTANCE_CHOICES, type DistanceChoice };

export interface DistanceQuery {
  readonly probe?: string;
  readonly distance?: DistanceChoice;
}

export interface StoredDistance {
  readonly a: string;
  readonly b: string;
  readonly distance: DistanceChoice;
  readonly value: number;
  readonly probe: ProbeRecord;
  /** The stored embedding used for each dataset. */
  readonly embeddings: Readonly<Record<string, number>>;
  readonly alpha?: number;
}

export interface StoredDistanceMatrix {
  readonly datasets: readonly string[];
  readonly distance: DistanceChoice;
  /** values[i][j] is the distance from datasets[i] to datasets[j]. */
  readonly values: readonly (readonly number[])[];
  readonly probe: ProbeRecord;
  readonly embeddings: Readonly<Record<string, number>>;
  readonly alpha?: number;
}

export function identityOf(p: ProbeRecord): ProbeIdentity {
  return {
    id: p.id,
    name: p.name,
    architecture: p.architecture,
    inputSize: p.input_size,
    pixelScaling: p.pixel_scaling as PixelScaling,
  };
}

function describeProbe(p: ProbeRecord | undefined, id: string): string {
  return p ? `'${p.name}' (${p.input_size} px, id ${p.id.slice(0, 12)})` : `'${id}'`;
}

/** Each dataset's latest embedding per probe: a recomputation supersedes what it replaces. */
async function latestByDataset(
  db: Knex,
  datasets: readonly string[],
  fieldOf: (d: string) => string,
): Promise<Map<string, Map<string, StoredEmbedding>>> {
  const known = await existingDatasetIds(db, datasets);
  const missing = datasets.find((d) => !known.has(d));
  if (missing !== undefined) throw notFound('dataset', missing, fieldOf(missing));
  const out = new Map<string, Map<string, StoredEmbedding>>();
  for (const d of new Set(datasets)) {
    const byProbe = new Map(latestEmbeddings(await listEmbeddings(db, { datasetId: d })).map((e) => [e.probeId, e]));
    if (byProbe.size === 0) {
      throw new AppError(
        'unprocessable',
        'No embedding',
        `dataset '${d}' has no Task2Vec embedding yet; compute one with transfer-atlas embed ${d}, or import one`,
        [{ field: fieldOf(d), message: `'${d}' has no embedding` }],
      );
    }
    out.set(d, byProbe);
  }
  return out;
}

function probesEachHas(latest: Map<string, Map<string, StoredEmbedding>>, probes: Map<string, ProbeRecord>): string {
  return [...latest]
    .map(
      ([d, byProbe]) => `'${d}' has ${[...byProbe.keys()].map((id) => describeProbe(probes.get(id), id)).join(', ')}`,
    )
    .join('; ');
}

async function chooseProbe(
  db: Knex,
  latest: Map<string, Map<string, StoredEmbedding>>,
  ref: string | undefined,
): Promise<ProbeRecord> {
  const probes = new Map((await listProbes(db)).map((p) => [p.id, p]));
  if (ref !== undefined) {
    const probe = await findProbe({ knex: db }, ref);
    const lacking = [...latest].filter(([, byProbe]) => !byProbe.has(probe.id)).map(([d]) => `'${d}'`);
    if (lacking.length > 0) {
      throw new AppError(
        'incompatible-probes',
        'No embedding under this probe',
        `${lacking.join(' and ')} ${lacking.length === 1 ? 'has' : 'have'} no embedding under probe ${describeProbe(probe, probe.id)}: ${probesEachHas(latest, probes)}`,
        [{ field: 'probe', message: `not every dataset has an embedding under ${probe.name}` }],
      );
    }
    return probe;
  }
  const sets = [...latest.values()];
  const common = [...sets[0]!.keys()].filter((id) => sets.every((byProbe) => byProbe.has(id)));
  if (common.length === 0) {
    throw new AppError(
      'incompatible-probes',
      'No common probe',
      `these datasets have no embedding under a common probe, and embeddings of different probes do not compare: ${probesEachHas(latest, probes)}`,
      [{ field: 'probe', message: 'no probe common to every dataset' }],
    );
  }
  const id = firstPreferred(await preferredProbes({ knex: db }), common) ?? common.sort()[0]!;
  const chosen = probes.get(id);
  if (!chosen) throw new Error(`embeddings refer to probe ${id}, which is not recorded`);
  return chosen;
}

/** Only the vector and the dataset are read, so a registry's shipped vector compares the same way as a stored one. */
export function comparable(
  e: Pick<StoredEmbedding, 'datasetId' | 'hessian' | 'scale'>,
  probe: ProbeIdentity,
): ComparableEmbedding {
  return {
    hessian: e.hessian,
    scale: e.scale ?? new Float32Array(e.hessian.length).fill(1),
    probe,
    dataset: e.datasetId,
  };
}

async function prepare(db: Knex, datasets: readonly string[], query: DistanceQuery, fieldOf: (d: string) => string) {
  const latest = await latestByDataset(db, datasets, fieldOf);
  const probe = await chooseProbe(db, latest, query.probe);
  const identity = identityOf(probe);
  const chosen = new Map([...latest].map(([d, byProbe]) => [d, byProbe.get(probe.id)!]));
  return {
    probe,
    chosen,
    embeddings: Object.fromEntries([...chosen].map(([d, e]) => [d, e.id])),
    compare: (d: string) => comparable(chosen.get(d)!, identity),
  };
}

/** The distance from `a` to `b` (symmetric unless `asymmetric`) between their latest embeddings under one probe. */
export async function storedDistance(
  { knex: db }: Db,
  a: string,
  b: string,
  query: DistanceQuery = {},
): Promise<StoredDistance> {
  const name = query.distance ?? 'task2vec_cosine';
  const { probe, embeddings, compare } = await prepare(db, [a, b], query, (d) => (d === a ? 'a' : 'b'));
  const value = distance(compare(a), compare(b), name);
  return { a, b, distance: name, value, probe, embeddings, ...(name === 'asymmetric' ? { alpha: DEFAULT_ALPHA } : {}) };
}

/** All pairwise distances over a set of datasets, under one probe that they all have. */
export async function storedDistanceMatrix(
  { knex: db }: Db,
  datasets: readonly string[],
  query: DistanceQuery = {},
): Promise<StoredDistanceMatrix> {
  const name = query.distance ?? 'task2vec_cosine';
  const ids = [...new Set(datasets)];
  const { probe, embeddings, compare } = await prepare(db, ids, query, () => 'datasets');
  const m = distanceMatrix(ids.map(compare), name);
  const n = ids.length;
  const values = ids.map((_, i) => ids.map((__, j) => m.values[i * n + j]!));
  return {
    datasets: ids,
    distance: name,
    values,
    probe,
    embeddings,
    ...(name === 'asymmetric' ? { alpha: DEFAULT_ALPHA } : {}),
  };
}
