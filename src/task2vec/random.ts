/**
 * Seeded randomness for Task2Vec. Every random choice (head initialisation, which images a batch
 * holds, which label the Fisher pass draws) comes from the project's one seeded generator, never
 * from Math.random, so that the same seed gives the same embedding.
 */
import { randomInt, seededRandom } from '../random.js';

export interface Rng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

export function createRng(seed: number): Rng {
  const next = seededRandom(seed);
  return { next, int: (n: number) => randomInt(next, n) };
}

/**
 * An independent stream for one purpose, so that changing how many numbers one stage draws
 * (say, a different head batch size) does not shift the samples of another stage.
 */
export function deriveSeed(seed: number, purpose: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < purpose.length; i++) {
    h ^= purpose.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** Index drawn from a discrete distribution given by (possibly unnormalised) non-negative weights. */
export function sampleCategorical(
  rng: Rng,
  weights: ArrayLike<number>,
  offset = 0,
  length = weights.length - offset,
): number {
  let total = 0;
  for (let i = 0; i < length; i++) total += weights[offset + i]!;
  let u = rng.next() * total;
  for (let i = 0; i < length; i++) {
    u -= weights[offset + i]!;
    if (u < 0) return i;
  }
  // Rounding can leave u a hair above zero after the last positive weight.
  for (let i = length - 1; i >= 0; i--) if (weights[offset + i]! > 0) return i;
  return length - 1;
}

/** Draws `count` indices into a dataset; with replacement, like torch's WeightedRandomSampler. */
export type IndexSampler = (rng: Rng, count: number) => Int32Array;

/** Every index equally likely. */
export function uniformSampler(size: number): IndexSampler {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`cannot sample from ${size} items`);
  return (rng, count) => {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = rng.int(size);
    return out;
  };
}

/**
 * Class-balanced sampling as in the reference: each class is drawn with equal probability,
 * then an image uniformly within it, so a minority class weighs as much as the majority.
 * `labels` are contiguous class indices 0..classCount-1, each present at least once.
 */
export function classBalancedSampler(labels: Int32Array, classCount: number): IndexSampler {
  const members: number[][] = Array.from({ length: classCount }, () => []);
  labels.forEach((label, i) => members[label]!.push(i));
  const byClass = members.map((m) => Int32Array.from(m));
  for (let c = 0; c < classCount; c++) {
    if (byClass[c]!.length === 0) throw new RangeError(`class ${c} has no images to sample`);
  }
  return (rng, count) => {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const pool = byClass[rng.int(classCount)]!;
      out[i] = pool[rng.int(pool.length)]!;
    }
    return out;
  };
}
