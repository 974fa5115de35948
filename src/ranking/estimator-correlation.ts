/**
 * Do a backbone's transferability estimator scores (LogME, LEEP, ...) track how well it fine-tunes? Each score
 * lives on its own scale per target, and each study's metric on its own scale per target, so both are made
 * z-scores among the backbones of one group (study, candidate set, target) that have both; the pooled points
 * are then correlated as the distance analysis correlates its pairs.
 */
import { bootstrapCorrelation, type BootstrapInterval, type BootstrapOptions } from './bootstrap.js';
import { correlationTest, type CorrelationTest } from './correlation-test.js';
import type { Group, PairSignal } from './backbone-evidence.js';

export interface EstimatorPoint {
  readonly backbone: string;
  readonly target: string;
  readonly study: string;
  readonly candidateSet: string;
  /** The score as stored. */
  readonly value: number;
  readonly signalZ: number;
  readonly resultZ: number;
}

export interface EstimatorCorrelation {
  readonly signal: string;
  readonly n: number;
  /** Groups that contributed points: at least three backbones with a score and a result that both vary. */
  readonly groups: number;
  readonly pearson: CorrelationTest & { readonly interval: BootstrapInterval };
  readonly spearman: CorrelationTest & { readonly interval: BootstrapInterval };
  readonly used: readonly EstimatorPoint[];
}

/** Fewer backbones give a z-score that carries no ordering worth correlating. */
const MIN_GROUP = 3;

function zScores(values: readonly number[]): number[] | null {
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
  return sd > 0 ? values.map((v) => (v - mean) / sd) : null;
}

export function analyseEstimators(
  groups: readonly Group[],
  signals: readonly PairSignal[],
  bootstrap: BootstrapOptions = {},
): EstimatorCorrelation[] {
  const scores = new Map<string, Map<string, number>>();
  for (const s of signals) {
    if (s.subjectKind !== 'backbone') continue;
    const byPair = scores.get(s.signal) ?? new Map<string, number>();
    const key = `${s.subject}\u0000${s.target}`;
    if (!byPair.has(key)) byPair.set(key, s.value);
    scores.set(s.signal, byPair);
  }
  return [...scores.keys()].sort().map((signal) => {
    const byPair = scores.get(signal)!;
    const used: EstimatorPoint[] = [];
    let contributing = 0;
    // A backbone in several candidate sets of one study would count twice: each (study, target) gives the points
    // of its largest scored set only.
    const largest = new Map<string, { group: Group; members: { backbone: string; value: number; result: number }[] }>();
    for (const g of groups) {
      const members = g.backbones.flatMap((backbone, i) => {
        const value = byPair.get(`${backbone}\u0000${g.target}`);
        return value === undefined ? [] : [{ backbone, value, result: g.values[i]! }];
      });
      const key = `${g.study}\u0000${g.target}`;
      if (members.length > (largest.get(key)?.members.length ?? 0)) largest.set(key, { group: g, members });
    }
    for (const { group: g, members } of largest.values()) {
      if (members.length < MIN_GROUP) continue;
      const signalZ = zScores(members.map((m) => m.value));
      const resultZ = zScores(members.map((m) => m.result));
      if (!signalZ || !resultZ) continue;
      contributing++;
      members.forEach((m, i) =>
        used.push({
          backbone: m.backbone,
          target: g.target,
          study: g.study,
          candidateSet: g.candidateSet,
          value: m.value,
          signalZ: signalZ[i]!,
          resultZ: resultZ[i]!,
        }),
      );
    }
    const x = used.map((p) => p.signalZ);
    const y = used.map((p) => p.resultZ);
    return {
      signal,
      n: used.length,
      groups: contributing,
      pearson: { ...correlationTest('pearson', x, y), interval: bootstrapCorrelation('pearson', x, y, bootstrap) },
      spearman: { ...correlationTest('spearman', x, y), interval: bootstrapCorrelation('spearman', x, y, bootstrap) },
      used,
    };
  });
}
