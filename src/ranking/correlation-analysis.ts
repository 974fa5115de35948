/**
 * The study's question: does a distance between datasets track transferability? For each signal,
 * correlate distance with transferability over the pairs that have both, and account for every pair left out.
 */
import { bootstrapCorrelation, type BootstrapInterval, type BootstrapOptions } from './bootstrap.js';
import { correlationTest, type CorrelationTest } from './correlation-test.js';
import {
  distanceSignals,
  indexDistances,
  resolveDistance,
  type DistanceProxy,
  type PairDistance,
} from './distances.js';
import { definedOnly } from '../defaults.js';

export interface PairValue {
  readonly source: string;
  readonly target: string;
  readonly value: number;
}

export type LeftOutReason = 'self-pair' | 'missing-distance';

export interface UsedPair {
  readonly source: string;
  readonly target: string;
  readonly distance: number;
  readonly transferability: number;
  readonly proxiedVia?: { readonly source: string; readonly target: string };
}

export interface LeftOutPair {
  readonly source: string;
  readonly target: string;
  readonly reason: LeftOutReason;
}

export interface SignalCorrelation {
  readonly signal: string;
  readonly n: number;
  readonly pearson: CorrelationTest & { readonly interval: BootstrapInterval };
  readonly spearman: CorrelationTest & { readonly interval: BootstrapInterval };
  readonly used: readonly UsedPair[];
  readonly leftOut: readonly LeftOutPair[];
}

export interface CorrelationAnalysisInput {
  readonly transferability: readonly PairValue[];
  readonly distances: readonly PairDistance[];
  /** Signals to analyse; every signal present in `distances` when omitted. */
  readonly signals?: readonly string[];
  readonly proxy?: DistanceProxy;
  readonly bootstrap?: BootstrapOptions;
}

export interface CorrelationAnalysis {
  readonly signals: readonly SignalCorrelation[];
  readonly proxy: DistanceProxy | null;
}

function pairKey(source: string, target: string): string {
  return JSON.stringify([source, target]);
}

function byPair(a: { source: string; target: string }, b: { source: string; target: string }): number {
  return a.target.localeCompare(b.target) || a.source.localeCompare(b.source);
}

export function analyseSignal(signal: string, input: CorrelationAnalysisInput): SignalCorrelation {
  const index = indexDistances(input.distances);
  const used: UsedPair[] = [];
  const leftOut: LeftOutPair[] = [];
  const seen = new Set<string>();
  for (const t of input.transferability) {
    seen.add(pairKey(t.source, t.target));
    if (t.source === t.target) {
      leftOut.push({ source: t.source, target: t.target, reason: 'self-pair' });
      continue;
    }
    const d = resolveDistance(index, signal, t.source, t.target, input.proxy);
    if (d === undefined) leftOut.push({ source: t.source, target: t.target, reason: 'missing-distance' });
    else
      used.push({
        source: t.source,
        target: t.target,
        distance: d.value,
        transferability: t.value,
        ...definedOnly({ proxiedVia: d.via || undefined }),
      });
  }
  // A target's distance to itself is its baseline (transferability 0 by definition): say it was left out.
  // Other distance-only pairs were never candidates (nobody measured them) and are not listed.
  const targets = new Set(input.transferability.map((t) => t.target));
  for (const d of input.distances) {
    if (d.signal !== signal || d.source !== d.target || !targets.has(d.target) || seen.has(pairKey(d.source, d.target)))
      continue;
    seen.add(pairKey(d.source, d.target));
    leftOut.push({ source: d.source, target: d.target, reason: 'self-pair' });
  }
  used.sort(byPair);
  leftOut.sort(byPair);
  const x = used.map((u) => u.distance);
  const y = used.map((u) => u.transferability);
  return {
    signal,
    n: used.length,
    pearson: { ...correlationTest('pearson', x, y), interval: bootstrapCorrelation('pearson', x, y, input.bootstrap) },
    spearman: {
      ...correlationTest('spearman', x, y),
      interval: bootstrapCorrelation('spearman', x, y, input.bootstrap),
    },
    used,
    leftOut,
  };
}

export function analyseCorrelations(input: CorrelationAnalysisInput): CorrelationAnalysis {
  const signals = input.signals ?? distanceSignals(input.distances);
  return { signals: signals.map((s) => analyseSignal(s, input)), proxy: input.proxy ?? null };
}
