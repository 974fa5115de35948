/**
 * Ranking quality against measured transferability. Tied scores are treated as a random order among
 * the tied sources and the metrics give the expectation over that order, so a baseline that cannot
 * separate sources (equal expert distances) is neither flattered nor penalised by an arbitrary tiebreak.
 */
import { spearman } from './stats.js';

function check(scores: readonly number[], truth: readonly number[]): void {
  if (scores.length !== truth.length || scores.length === 0)
    throw new RangeError(`need equal, non-empty scores and truth (${scores.length} vs ${truth.length})`);
}

/** Groups of indices with equal score, best score first. */
function tieGroups(scores: readonly number[]): number[][] {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const groups: number[][] = [];
  for (const i of order) {
    const last = groups[groups.length - 1];
    if (last !== undefined && scores[last[0]!] === scores[i]) last.push(i);
    else groups.push([i]);
  }
  return groups;
}

/** Best measured value minus the measured value of the top pick (expected over ties); 0 is perfect. */
export function regretAt1(scores: readonly number[], truth: readonly number[]): number {
  check(scores, truth);
  const top = tieGroups(scores)[0]!;
  const best = Math.max(...truth);
  return top.reduce((a, i) => a + (best - truth[i]!), 0) / top.length;
}

/**
 * NDCG@k with gains rescaled to [0, 1] within the target (worst source 0, best 1), since transferability
 * can be negative. With all sources equal every ranking is ideal and the value is 1.
 */
export function ndcgAtK(scores: readonly number[], truth: readonly number[], k: number): number {
  check(scores, truth);
  const lo = Math.min(...truth);
  const hi = Math.max(...truth);
  if (hi === lo) return 1;
  const gain = truth.map((t) => (t - lo) / (hi - lo));
  const discount = (position: number) => (position < k ? 1 / Math.log2(position + 2) : 0);
  let dcg = 0;
  let position = 0;
  for (const group of tieGroups(scores)) {
    const meanGain = group.reduce((a, i) => a + gain[i]!, 0) / group.length;
    for (let q = 0; q < group.length; q++) dcg += meanGain * discount(position + q);
    position += group.length;
  }
  const ideal = [...gain].sort((a, b) => b - a).reduce((a, g, i) => a + g * discount(i), 0);
  return dcg / ideal;
}

/**
 * Spearman between scores and truth; 0 when the scores are all equal (no ordering at all, which is
 * also the expectation under random tie-breaking); null when the truth itself is constant.
 */
export function rankCorrelation(scores: readonly number[], truth: readonly number[]): number | null {
  check(scores, truth);
  if (truth.every((t) => t === truth[0])) return null;
  if (scores.every((s) => s === scores[0])) return 0;
  return spearman(scores, truth);
}
