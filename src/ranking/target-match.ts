/**
 * Is a new target data a study has already measured? Its Task2Vec embedding is compared with the
 * embedding of every measured target made with the same probe (embeddings of different probes do
 * not compare), and the nearest ones are the evidence a recommendation shows.
 *
 * The rule for treating the target as a measured one rests on measurements, not on evaluation
 * targets: the same-data bound is the largest distance ever measured between two embeddings of one
 * dataset under that probe (other seeds, disjoint halves, fewer Monte Carlo samples), i.e. what chance
 * alone gives. The nearest measured target matches when it is within that bound and the runner-up is
 * beyond it: exactly one measured target is as near as the same data comes.
 */
import { distance } from '../task2vec/distance.js';
import type { ComparableEmbedding } from '../task2vec/embedding.js';

export interface MeasuredNeighbour {
  readonly target: string;
  /** Task2Vec's symmetric cosine distance. */
  readonly distance: number;
}

/**
 * - `match`: the nearest is within the bound and the runner-up beyond it;
 * - `ambiguous`: the nearest and the runner-up are both within the bound, so chance could swap them;
 * - `no-match`: the nearest is beyond the bound;
 * - `no-bound`: no same-data distance is known for the probe, so no distance can be called "the same data";
 * - `none-comparable`: no measured target has an embedding under the target's probe.
 */
export type MatchVerdict = 'match' | 'ambiguous' | 'no-match' | 'no-bound' | 'none-comparable';

export interface TargetMatch {
  readonly probe: string;
  readonly sameDataBound: number | null;
  /** Measured targets with an embedding under the probe. */
  readonly compared: number;
  /** The nearest measured targets, nearest first. */
  readonly nearest: readonly MeasuredNeighbour[];
  readonly verdict: MatchVerdict;
  /** The measured target the new one is treated as, for `match` only. */
  readonly match: MeasuredNeighbour | null;
}

export interface MatchOptions {
  /** How many of the nearest measured targets to report. */
  readonly show?: number;
}

/** The bound is the largest of the same-data distances measured under the probe; null when there are none. */
export function sameDataBound(distances: readonly number[]): number | null {
  const finite = distances.filter((d) => Number.isFinite(d) && d >= 0);
  return finite.length === 0 ? null : Math.max(...finite);
}

export function matchMeasuredTarget(
  target: ComparableEmbedding,
  measured: readonly ComparableEmbedding[],
  bound: number | null,
  options: MatchOptions = {},
): TargetMatch {
  const ranked = measured
    .filter(
      (m) =>
        m.dataset !== undefined &&
        m.dataset !== target.dataset &&
        m.probe.id === target.probe.id &&
        m.probe.inputSize === target.probe.inputSize,
    )
    .map((m) => ({ target: m.dataset!, distance: distance(target, m, 'task2vec_cosine') }))
    .sort((a, b) => a.distance - b.distance || a.target.localeCompare(b.target));
  const [first, second] = ranked;
  const verdict: MatchVerdict =
    first === undefined
      ? 'none-comparable'
      : bound === null
        ? 'no-bound'
        : first.distance > bound
          ? 'no-match'
          : second !== undefined && second.distance <= bound
            ? 'ambiguous'
            : 'match';
  return {
    probe: target.probe.id,
    sameDataBound: bound,
    compared: ranked.length,
    nearest: ranked.slice(0, options.show ?? 3),
    verdict,
    match: verdict === 'match' ? first! : null,
  };
}

function short(d: number): string {
  return d.toPrecision(2);
}

/** One sentence on what the comparison found, for reasons and the command line. */
export function describeMatch(m: TargetMatch): string {
  const nearest = m.nearest.map((n) => `${n.target} ${short(n.distance)}`).join(', ');
  const bound = m.sameDataBound === null ? '' : short(m.sameDataBound);
  switch (m.verdict) {
    case 'match':
      return `matches measured target ${m.match!.target}: distance ${short(m.match!.distance)} <= same-data bound ${bound}, runner-up ${m.nearest[1] === undefined ? 'none' : `${m.nearest[1].target} ${short(m.nearest[1].distance)}`}`;
    case 'ambiguous':
      return `no single measured target matches: ${m.nearest[0]!.target} and ${m.nearest[1]!.target} are both within the same-data bound ${bound} (${nearest})`;
    case 'no-match':
      return `no measured target matches: the nearest is beyond the same-data bound ${bound} (${nearest})`;
    case 'no-bound':
      return `no same-data distance is known under this probe, so no measured target is treated as the same data (nearest: ${nearest})`;
    case 'none-comparable':
      return 'no measured target has an embedding under the target’s probe';
  }
}
