/**
 * Distances between Task2Vec embeddings, after the reference's task_similarity module.
 *
 * - `task2vec_cosine`: the paper's symmetric distance, the cosine distance between
 *   h0/(h0+h1+1e-8) and h1/(h0+h1+1e-8).
 * - `plain_cosine`: the cosine distance of the raw hessians (what the cats-scans study used).
 * - `normalized_cosine`: the cosine distance of the variances scale/h.
 * - `kl`: sum over filters of the larger of the two KL divergences between the zero-mean
 *   Gaussians of variance 1/h0 and 1/h1.
 * - `jsd`: mean over filters of the Jensen-Shannon-style divergence of those Gaussians against
 *   the one with the average variance.
 * - `asymmetric`: the paper's d(a->b) = d(a,b) - alpha * d(a, trivial) over task2vec_cosine, with
 *   alpha 0.15. The trivial embedding stands for a task that prefers no filter to another: a uniform
 *   Fisher at the mean level of a's hessian (the cosine distances are blind to that level except
 *   through the 1e-8 of task2vec_cosine). It is negative when a is far from trivial and b close to a.
 *   `asymmetricDistance` takes another trivial embedding, weight or base distance.
 *
 * Exact zeros (dead filters) and degenerate vectors, so that no distance is ever NaN or Infinity:
 * - A filter that is zero in both embeddings contributes nothing to any distance; means still
 *   divide by the full length.
 * - `kl`, `jsd` and `normalized_cosine` work on 1/h: there a zero in one embedding only is raised
 *   to a floor of 1e-8 times the larger maximum of the two hessians. The divergence at that filter
 *   is then large but finite, as a variance that dwarfs the other one should make it.
 * - A cosine involving an all-zero vector is 0 if both are zero (nothing tells them apart) and 1
 *   if only one is (orthogonal to everything). Constant vectors are ordinary vectors: two constant
 *   hessians are at cosine distance 0, at any level.
 * - Cosine distances are clamped to [0, 2] against rounding.
 * - Hessians with negative, NaN or infinite entries, and scales not strictly positive and finite,
 *   are refused rather than compared.
 */
import { AppError, invalid } from '../errors.js';
import type { ComparableEmbedding } from './embedding.js';
import { shortProbeId } from '../probes/identity.js';

export const DISTANCE_NAMES = ['task2vec_cosine', 'plain_cosine', 'normalized_cosine', 'kl', 'jsd'] as const;
export type DistanceName = (typeof DISTANCE_NAMES)[number];
export const DISTANCE_CHOICES = [...DISTANCE_NAMES, 'asymmetric'] as const;
export type DistanceChoice = (typeof DISTANCE_CHOICES)[number];

/** The paper's value for model selection. */
export const DEFAULT_ALPHA = 0.15;
const SCALED_EPSILON = 1e-8;
const RELATIVE_FLOOR = 1e-8;

function describe(e: ComparableEmbedding): string {
  const who = e.dataset === undefined ? '' : `of '${e.dataset}' `;
  return `embedding ${who}made with probe '${e.probe.name}' (${e.probe.inputSize} px, id ${shortProbeId(e.probe.id)})`;
}

/** Refuses to compare embeddings whose filters do not mean the same thing. */
export function assertComparable(a: ComparableEmbedding, b: ComparableEmbedding): void {
  if (a.probe.id !== b.probe.id || a.probe.inputSize !== b.probe.inputSize) {
    throw new AppError(
      'incompatible-probes',
      'Embeddings from different probes',
      `cannot compare the ${describe(a)} with the ${describe(b)}: distances are only defined between embeddings of the same probe at the same input size`,
    );
  }
  if (a.hessian.length !== b.hessian.length) {
    throw new AppError(
      'incompatible-probes',
      'Embeddings of different lengths',
      `the ${describe(a)} has ${a.hessian.length} entries but the ${describe(b)} has ${b.hessian.length} entries`,
    );
  }
}

/** Refuses entries that no Fisher estimate can produce; run once per embedding, not per pair. */
export function checkEmbedding(e: ComparableEmbedding): void {
  if (e.scale.length !== e.hessian.length)
    throw invalid(`the ${describe(e)} has ${e.hessian.length} hessian but ${e.scale.length} scale entries`);
  for (let i = 0; i < e.hessian.length; i++) {
    const h = e.hessian[i]!;
    if (!(h >= 0) || h === Infinity)
      throw invalid(`the ${describe(e)} has hessian entry ${i} = ${h}; a Fisher diagonal is finite and non-negative`);
    const s = e.scale[i]!;
    if (!(s > 0) || s === Infinity)
      throw invalid(`the ${describe(e)} has scale entry ${i} = ${s}; scales are finite and positive`);
  }
}

function maxOf(v: Float32Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) if (v[i]! > m) m = v[i]!;
  return m;
}

function cosineDistance(dot: number, normA2: number, normB2: number): number {
  if (normA2 === 0 && normB2 === 0) return 0;
  if (normA2 === 0 || normB2 === 0) return 1;
  const d = 1 - dot / Math.sqrt(normA2 * normB2);
  return Math.min(2, Math.max(0, d));
}

function task2vecCosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === 0 && y === 0) continue;
    const s = x + y + SCALED_EPSILON;
    const u = x / s;
    const v = y / s;
    dot += u * v;
    na += u * u;
    nb += v * v;
  }
  return cosineDistance(dot, na, nb);
}

function plainCosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return cosineDistance(dot, na, nb);
}

/** Per-pair floor for the 1/h distances; 0 only when both hessians are all zero, and then every filter is skipped. */
function floorFor(maxA: number, maxB: number): number {
  return RELATIVE_FLOOR * Math.max(maxA, maxB);
}

function normalizedCosine(a: ComparableEmbedding, b: ComparableEmbedding, floor: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.hessian.length; i++) {
    const x = a.hessian[i]!;
    const y = b.hessian[i]!;
    if (x === 0 && y === 0) continue;
    const u = a.scale[i]! / Math.max(x, floor);
    const v = b.scale[i]! / Math.max(y, floor);
    dot += u * v;
    na += u * u;
    nb += v * v;
  }
  return cosineDistance(dot, na, nb);
}

function symmetricKl(a: Float32Array, b: Float32Array, floor: number): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === 0 && y === 0) continue;
    // With variances 1/h, var0/var1 = h1/h0; both directions in terms of that one ratio.
    const r = Math.max(y, floor) / Math.max(x, floor);
    const logR = Math.log(r);
    const kl0 = 0.5 * (r - 1 - logR);
    const kl1 = 0.5 * (1 / r - 1 + logR);
    sum += Math.max(kl0, kl1);
  }
  return sum;
}

function jensenShannon(a: Float32Array, b: Float32Array, floor: number): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === 0 && y === 0) continue;
    const var0 = 1 / Math.max(x, floor);
    const var1 = 1 / Math.max(y, floor);
    const mid = 0.5 * (var0 + var1);
    const logMid = Math.log(mid);
    const kl0 = 0.5 * (var0 / mid - 1 + logMid - Math.log(var0));
    const kl1 = 0.5 * (var1 / mid - 1 + logMid - Math.log(var1));
    sum += 0.5 * (kl0 + kl1);
  }
  return a.length === 0 ? 0 : sum / a.length;
}

/** The symmetric distances of one pair, given the floor of the 1/h distances; no validation and no copies. */
const SYMMETRIC: Record<DistanceName, (a: ComparableEmbedding, b: ComparableEmbedding, floor: number) => number> = {
  task2vec_cosine: (a, b) => task2vecCosine(a.hessian, b.hessian),
  plain_cosine: (a, b) => plainCosine(a.hessian, b.hessian),
  normalized_cosine: (a, b, floor) => normalizedCosine(a, b, floor),
  kl: (a, b, floor) => symmetricKl(a.hessian, b.hessian, floor),
  jsd: (a, b, floor) => jensenShannon(a.hessian, b.hessian, floor),
};

/** The matrix calls it n^2/2 times, with each embedding's maximum computed once. */
function pairDistance(
  a: ComparableEmbedding,
  b: ComparableEmbedding,
  name: DistanceName,
  maxA: number,
  maxB: number,
): number {
  return SYMMETRIC[name](a, b, floorFor(maxA, maxB));
}

function checkName<N extends string>(name: string, names: readonly N[]): asserts name is N {
  if (!(names as readonly string[]).includes(name)) {
    throw invalid(`unknown distance '${name}'; expected one of ${names.join(', ')}`, [
      { field: 'distance', message: names.join(' | ') },
    ]);
  }
}

function symmetricDistance(a: ComparableEmbedding, b: ComparableEmbedding, name: DistanceName): number {
  assertComparable(a, b);
  checkEmbedding(a);
  checkEmbedding(b);
  return pairDistance(a, b, name, maxOf(a.hessian), maxOf(b.hessian));
}

/** The trivial task's embedding under e's probe: a uniform Fisher at the mean level of e's hessian. */
export function trivialEmbedding(e: ComparableEmbedding): ComparableEmbedding {
  let sum = 0;
  for (let i = 0; i < e.hessian.length; i++) sum += e.hessian[i]!;
  const level = e.hessian.length === 0 ? 0 : sum / e.hessian.length;
  return {
    hessian: new Float32Array(e.hessian.length).fill(level),
    scale: e.scale,
    probe: e.probe,
    dataset: 'trivial task',
  };
}

/** Every distance by name; `asymmetric` with the paper's weight and each embedding's own trivial embedding. */
const DISTANCES: Record<DistanceChoice, (a: ComparableEmbedding, b: ComparableEmbedding) => number> = {
  task2vec_cosine: (a, b) => symmetricDistance(a, b, 'task2vec_cosine'),
  plain_cosine: (a, b) => symmetricDistance(a, b, 'plain_cosine'),
  normalized_cosine: (a, b) => symmetricDistance(a, b, 'normalized_cosine'),
  kl: (a, b) => symmetricDistance(a, b, 'kl'),
  jsd: (a, b) => symmetricDistance(a, b, 'jsd'),
  asymmetric: (a, b) => asymmetricDistance(a, b, trivialEmbedding(a)),
};

/** The distance between two embeddings of the same probe (from a to b, for `asymmetric`). */
export function distance(
  a: ComparableEmbedding,
  b: ComparableEmbedding,
  name: DistanceChoice = 'task2vec_cosine',
): number {
  checkName(name, DISTANCE_CHOICES);
  return DISTANCES[name](a, b);
}

export interface AsymmetricOptions {
  readonly alpha?: number;
  readonly base?: DistanceName;
}

/**
 * The paper's asymmetric distance d(a->b) = d(a,b) - alpha * d(a, trivial): transferring from
 * b to a looks better the more complex a is, measured as its distance from the trivial embedding.
 * It can be negative. `trivial` is the embedding of the trivial task with the same probe.
 */
export function asymmetricDistance(
  a: ComparableEmbedding,
  b: ComparableEmbedding,
  trivial: ComparableEmbedding,
  opts: AsymmetricOptions = {},
): number {
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  if (!Number.isFinite(alpha))
    throw invalid(`alpha must be finite, got ${alpha}`, [{ field: 'alpha', message: 'finite number' }]);
  const base = opts.base ?? 'task2vec_cosine';
  checkName(base, DISTANCE_NAMES);
  return symmetricDistance(a, b, base) - alpha * symmetricDistance(a, trivial, base);
}

export interface DistanceMatrix {
  readonly size: number;
  /** size x size, row-major: values[i * size + j] is the distance from i to j. */
  readonly values: Float64Array;
}

function checkAll(embeddings: readonly ComparableEmbedding[]): Float64Array {
  const first = embeddings[0];
  const maxima = new Float64Array(embeddings.length);
  embeddings.forEach((e, i) => {
    if (first !== undefined) assertComparable(first, e);
    checkEmbedding(e);
    maxima[i] = maxOf(e.hessian);
  });
  return maxima;
}

/**
 * All pairwise distances: values[i * size + j] is the distance from i to j. Each embedding is
 * validated once and each pair reads the stored vectors in place; for a symmetric distance the
 * lower triangle mirrors the upper one.
 */
export function distanceMatrix(
  embeddings: readonly ComparableEmbedding[],
  name: DistanceChoice = 'task2vec_cosine',
): DistanceMatrix {
  checkName(name, DISTANCE_CHOICES);
  if (name === 'asymmetric') return asymmetricPairs(embeddings, trivialEmbedding, DEFAULT_ALPHA, 'task2vec_cosine');
  return { size: embeddings.length, values: symmetricPairs(embeddings, name, checkAll(embeddings)) };
}

function symmetricPairs(
  embeddings: readonly ComparableEmbedding[],
  name: DistanceName,
  maxima: Float64Array,
): Float64Array {
  const n = embeddings.length;
  const values = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = pairDistance(embeddings[i]!, embeddings[j]!, name, maxima[i]!, maxima[j]!);
      values[i * n + j] = d;
      values[j * n + i] = d;
    }
  }
  return values;
}

/** All pairwise asymmetric distances: values[i * size + j] is d(i -> j). */
export function asymmetricDistanceMatrix(
  embeddings: readonly ComparableEmbedding[],
  trivial: ComparableEmbedding,
  opts: AsymmetricOptions = {},
): DistanceMatrix {
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  if (!Number.isFinite(alpha))
    throw invalid(`alpha must be finite, got ${alpha}`, [{ field: 'alpha', message: 'finite number' }]);
  const base = opts.base ?? 'task2vec_cosine';
  checkName(base, DISTANCE_NAMES);
  return asymmetricPairs(embeddings, () => trivial, alpha, base);
}

/** Row i loses alpha times the distance of embedding i from its trivial embedding. */
function asymmetricPairs(
  embeddings: readonly ComparableEmbedding[],
  trivialOf: (e: ComparableEmbedding) => ComparableEmbedding,
  alpha: number,
  base: DistanceName,
): DistanceMatrix {
  const trivials = embeddings.map(trivialOf);
  const maxima = checkAll([...embeddings, ...trivials]);
  const n = embeddings.length;
  const values = symmetricPairs(embeddings, base, maxima);
  for (let i = 0; i < n; i++) {
    const complexity = alpha * pairDistance(embeddings[i]!, trivials[i]!, base, maxima[i]!, maxima[n + i]!);
    for (let j = 0; j < n; j++) values[i * n + j]! -= complexity;
  }
  return { size: n, values };
}
