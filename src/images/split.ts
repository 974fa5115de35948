/**
 * Seeded train/val/test assignment: stratified by class, and group-aware when groups are given
 * (every image of a group lands in one split, so crops of one smear never straddle train and test).
 */
import { seededRandom } from '../random.js';

export type Split = 'train' | 'val' | 'test';

export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

export interface SplitFractions {
  readonly train: number;
  readonly val: number;
  readonly test: number;
}

export const DEFAULT_FRACTIONS: SplitFractions = { train: 0.7, val: 0.15, test: 0.15 };

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Split sizes for n units: rounded val and test, the rest in train, train never emptied while n > 0. */
function quotas(n: number, f: SplitFractions): Record<Split, number> {
  const total = f.train + f.val + f.test;
  let val = Math.round((n * f.val) / total);
  let test = Math.round((n * f.test) / total);
  while (val + test >= n && n > 0 && val + test > 0) {
    if (test >= val && test > 0) test--;
    else val--;
  }
  return { train: n - val - test, val, test };
}

export function stratifiedSplit(labels: readonly number[], fractions: SplitFractions, seed: number): Split[] {
  const out: Split[] = new Array(labels.length).fill('train');
  const random = seededRandom(seed);
  const byClass = new Map<number, number[]>();
  labels.forEach((l, i) => pushTo(byClass, l, i));
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const order = shuffled(byClass.get(cls)!, random);
    const q = quotas(order.length, fractions);
    order.forEach((index, k) => {
      out[index] = k < q.val ? 'val' : k < q.val + q.test ? 'test' : 'train';
    });
  }
  return out;
}

/**
 * Groups are bucketed by their majority class and, within a bucket, shuffled and dealt one by one
 * to the split furthest below its share of that bucket's images.
 */
export function groupSplit(
  labels: readonly number[],
  groups: readonly string[],
  fractions: SplitFractions,
  seed: number,
): Split[] {
  const random = seededRandom(seed);
  const members = new Map<string, number[]>();
  groups.forEach((g, i) => pushTo(members, g, i));
  const buckets = new Map<number, string[]>();
  for (const [group, indices] of members) {
    const counts = new Map<number, number>();
    for (const i of indices) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
    const majority = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
    pushTo(buckets, majority, group);
  }
  const total = fractions.train + fractions.val + fractions.test;
  const out: Split[] = new Array(labels.length).fill('train');
  for (const cls of [...buckets.keys()].sort((a, b) => a - b)) {
    const bucketGroups = shuffled(buckets.get(cls)!.sort(), random);
    const filled: Record<Split, number> = { train: 0, val: 0, test: 0 };
    let assigned = 0;
    for (const group of bucketGroups) {
      const size = members.get(group)!.length;
      const after = assigned + size;
      const deficit = (s: Split) => (fractions[s] / total) * after - filled[s];
      const split = [...SPLITS].sort((a, b) => deficit(b) - deficit(a))[0]!;
      filled[split] += size;
      assigned = after;
      for (const i of members.get(group)!) out[i] = split;
    }
  }
  return out;
}
