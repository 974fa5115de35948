/**
 * Leave-one-target-out evaluation: for each target, fit the ranker on the other targets' results,
 * rank the target's measured sources, and compare with simple baselines on the same sources.
 */
import type { PairValue } from './correlation-analysis.js';
import type { FeatureContext } from './features.js';
import { ndcgAtK, rankCorrelation, regretAt1 } from './metrics.js';
import { seededRandom } from '../random.js';
import { resolveDistance } from './distances.js';
import { predictPair, trainRanker, type RankerOptions } from './ranker.js';

export const LEARNED = 'learned';
export const LARGEST_SOURCE = 'largest-source';
export const RANDOM = 'random';
export function nearestMethod(signal: string): string {
  return `nearest:${signal}`;
}

export interface EvaluationInput {
  readonly observations: readonly PairValue[];
  readonly context: FeatureContext;
  readonly ranker: RankerOptions;
  /** Distance signals to build "nearest source first" baselines from. */
  readonly nearestSignals: readonly string[];
  readonly k?: number;
  readonly randomRepeats?: number;
  readonly seed?: number;
}

export interface MethodResult {
  readonly method: string;
  /** null when the target's measured values are all equal. */
  readonly spearman: number | null;
  readonly ndcg: number;
  readonly regret: number;
}

export interface TargetEvaluation {
  readonly target: string;
  readonly sources: readonly string[];
  readonly measured: readonly number[];
  readonly modelVersion: string;
  readonly methods: readonly MethodResult[];
}

export interface MethodSummary {
  readonly method: string;
  readonly spearman: number | null;
  /** Targets that entered the mean Spearman. */
  readonly spearmanTargets: number;
  readonly ndcg: number;
  readonly regret: number;
}

export interface EvaluationReport {
  readonly k: number;
  readonly randomRepeats: number;
  readonly seed: number;
  readonly targets: readonly TargetEvaluation[];
  readonly skipped: readonly { readonly target: string; readonly reason: string }[];
  readonly summary: readonly MethodSummary[];
}

function score(method: string, scores: readonly number[], truth: readonly number[], k: number): MethodResult {
  return { method, spearman: rankCorrelation(scores, truth), ndcg: ndcgAtK(scores, truth, k), regret: regretAt1(scores, truth) };
}

/** A baseline has nothing to say about a source lacking its signal: such sources tie below all others. */
function lastWhenMissing(scores: readonly (number | undefined)[]): number[] {
  const present = scores.filter((v): v is number => v !== undefined);
  const floor = present.length > 0 ? Math.min(...present) - 1 : 0;
  return scores.map((v) => v ?? floor);
}

function randomResult(truth: readonly number[], k: number, repeats: number, seed: number): MethodResult {
  const random = seededRandom(seed);
  let rho = 0;
  let rhoCount = 0;
  let ndcg = 0;
  let regret = 0;
  for (let r = 0; r < repeats; r++) {
    const scores = truth.map(() => random());
    const result = score(RANDOM, scores, truth, k);
    if (result.spearman !== null) {
      rho += result.spearman;
      rhoCount++;
    }
    ndcg += result.ndcg;
    regret += result.regret;
  }
  return { method: RANDOM, spearman: rhoCount > 0 ? rho / rhoCount : null, ndcg: ndcg / repeats, regret: regret / repeats };
}

function summarise(targets: readonly TargetEvaluation[]): MethodSummary[] {
  const methods = targets[0]?.methods.map((m) => m.method) ?? [];
  return methods.map((method) => {
    const rows = targets.map((t) => t.methods.find((m) => m.method === method)!);
    const rhos = rows.flatMap((r) => (r.spearman === null ? [] : [r.spearman]));
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return {
      method,
      spearman: rhos.length > 0 ? avg(rhos) : null,
      spearmanTargets: rhos.length,
      ndcg: avg(rows.map((r) => r.ndcg)),
      regret: avg(rows.map((r) => r.regret)),
    };
  });
}

export function evaluateLeaveOneTargetOut(input: EvaluationInput): EvaluationReport {
  const k = input.k ?? 3;
  const repeats = input.randomRepeats ?? 1000;
  const seed = input.seed ?? 1;
  const pairs = input.observations.filter((o) => o.source !== o.target);
  const targetIds = [...new Set(pairs.map((p) => p.target))].sort();
  const targets: TargetEvaluation[] = [];
  const skipped: { target: string; reason: string }[] = [];
  targetIds.forEach((target, t) => {
    const held = pairs.filter((p) => p.target === target).sort((a, b) => a.source.localeCompare(b.source));
    const train = pairs.filter((p) => p.target !== target);
    if (held.length < 2) {
      skipped.push({ target, reason: `only ${held.length} measured source; nothing to rank` });
      return;
    }
    if (train.length < 3) {
      skipped.push({ target, reason: `only ${train.length} measured pairs on other targets to learn from` });
      return;
    }
    const model = trainRanker(train, input.context, input.ranker);
    const truth = held.map((p) => p.value);
    const sources = held.map((p) => p.source);
    const methods: MethodResult[] = [score(LEARNED, sources.map((s) => predictPair(model, input.context, s, target).mean), truth, k)];
    for (const signal of input.nearestSignals) {
      const scores = sources.map((s) => {
        const d = resolveDistance(input.context.distances, signal, s, target, input.context.proxy);
        return d === undefined ? undefined : -d.value;
      });
      methods.push(score(nearestMethod(signal), lastWhenMissing(scores), truth, k));
    }
    const sizes = sources.map((s) => input.context.traits.get(s)?.images);
    methods.push(score(LARGEST_SOURCE, lastWhenMissing(sizes), truth, k));
    methods.push(randomResult(truth, k, repeats, seed + t));
    targets.push({ target, sources, measured: truth, modelVersion: model.version, methods });
  });
  return { k, randomRepeats: repeats, seed, targets, skipped, summary: summarise(targets) };
}
