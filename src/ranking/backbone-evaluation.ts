/**
 * Leave-one-target-out evaluation of the backbone ranker against the baselines a user could use
 * instead, on the same held-out groups: each target's results are hidden, the ranker is refitted (its
 * hyper-parameters chosen again by cross-validation over the remaining targets only) and asked to rank
 * that target's candidates. Per group: weighted Kendall tau (as scipy.stats.weightedtau), Spearman,
 * NDCG@k, regret@1 in the metric's units and whether the best backbone came first; then per scope (a
 * study's candidate set, or everything pooled): means with bootstrap intervals over targets, what a
 * random ranking scores, paired Wilcoxon tests of the ranker against each baseline, and the coverage
 * of the ranker's predictive intervals.
 */
import {
  groupObservations,
  historyPrior,
  indexSignals,
  type BackboneTraits,
  type Evidence,
  type Group,
} from './backbone-evidence.js';
import { fitBackboneRanker, rankBackbones, type RankerHyper, type RankerOptions } from './backbone-ranker.js';
import { quantile } from './bootstrap.js';
import { ndcgAtK, rankCorrelation, regretAt1 } from './metrics.js';
import { randomInt, seededRandom, type Random } from '../random.js';
import { weightedTau } from './weighted-tau.js';
import { wilcoxonSignedRank, type WilcoxonTest } from './wilcoxon.js';

export const LEARNED = 'learned ranker';
export const HISTORY = 'history prior';
export const LARGEST = 'largest source';
export const RANDOM = 'random';

export const METRICS = ['weightedTau', 'spearman', 'ndcg', 'regret', 'top1'] as const;
export type Metric = (typeof METRICS)[number];

export type MethodScore = { readonly method: string } & Readonly<Record<Metric, number | null>>;

export interface HeldOutPrediction {
  readonly backbone: string;
  readonly measured: number;
  readonly measuredZ: number;
  readonly mean: number;
  readonly sd: number;
  readonly interval80: readonly [number, number];
  readonly interval90: readonly [number, number];
}

export interface HeldOutGroup {
  readonly study: string;
  readonly candidateSet: string;
  readonly target: string;
  readonly predictions: readonly HeldOutPrediction[];
  readonly methods: readonly MethodScore[];
}

export interface MetricSummary {
  readonly mean: number | null;
  /** Percentile bootstrap interval over the scope's targets. */
  readonly lower: number | null;
  readonly upper: number | null;
  readonly targets: number;
}

export interface Comparison {
  readonly metric: Metric;
  readonly pairs: number;
  /** Mean of (ranker - baseline); for regret lower is better, so negative favours the ranker. */
  readonly meanDifference: number | null;
  readonly test: WilcoxonTest | null;
}

export interface MethodSummary {
  readonly method: string;
  readonly metrics: Readonly<Record<Metric, MetricSummary>>;
  /** Targets whose best backbone the method put first (expected count over ties). */
  readonly top1Hits: number;
  readonly versusRanker: readonly Comparison[];
}

export interface ScopeSummary {
  readonly scope: string;
  readonly targets: number;
  readonly methods: readonly MethodSummary[];
  /** The mean over the scope's targets when every target is ranked at random: its mean and sd. */
  readonly null: Readonly<Record<Metric, { readonly mean: number | null; readonly sd: number | null }>>;
  readonly calibration: {
    readonly pairs: number;
    readonly coverage80: number | null;
    readonly coverage90: number | null;
  };
}

export interface RankerEvaluation {
  readonly k: number;
  readonly seed: number;
  readonly bootstrapResamples: number;
  readonly nullRepeats: number;
  readonly folds: readonly { readonly target: string; readonly hyper: RankerHyper; readonly trainingGroups: number }[];
  readonly groups: readonly HeldOutGroup[];
  readonly scopes: readonly ScopeSummary[];
}

export interface EvaluationOptions {
  readonly k?: number;
  readonly seed?: number;
  readonly bootstrapResamples?: number;
  /** Random rankings per group for the random baseline and the null distribution. */
  readonly nullRepeats?: number;
  readonly ranker?: RankerOptions;
  /** Targets to hold out in turn (default: every target); the others stay as training data in every fold. */
  readonly heldOutTargets?: readonly string[];
  /** Further scopes over a subset of the held-out groups, e.g. a paper's own protocol. */
  readonly extraScopes?: readonly {
    readonly name: string;
    readonly include: (group: { study: string; candidateSet: string; target: string }) => boolean;
  }[];
}

function top1(scores: readonly number[], truth: readonly number[]): number {
  const topScore = Math.max(...scores);
  const best = Math.max(...truth);
  const picks = scores.flatMap((s, i) => (s === topScore ? [i] : []));
  return picks.filter((i) => truth[i] === best).length / picks.length;
}

/** Groups have differing results, so a null tau means constant scores: no order at all, worth what a random one is on average, 0. */
function scoreRanking(method: string, scores: readonly number[], truth: readonly number[], k: number): MethodScore {
  return {
    method,
    weightedTau: weightedTau(scores, truth) ?? 0,
    spearman: rankCorrelation(scores, truth),
    ndcg: ndcgAtK(scores, truth, k),
    regret: regretAt1(scores, truth),
    top1: top1(scores, truth),
  };
}

/** A baseline says nothing about a backbone it has no value for: such backbones tie below the rest. */
function lastWhenMissing(scores: readonly (number | undefined)[]): number[] | null {
  const present = scores.filter((v): v is number => v !== undefined);
  if (present.length < 2) return null;
  const floor = Math.min(...present) - 1;
  return scores.map((v) => v ?? floor);
}

function shuffled(n: number, random: Random): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** Metrics of `repeats` random rankings of one group, per metric. */
function randomRankings(
  truth: readonly number[],
  k: number,
  repeats: number,
  random: Random,
): Record<Metric, number[]> {
  const out = Object.fromEntries(METRICS.map((m) => [m, [] as number[]])) as Record<Metric, number[]>;
  for (let r = 0; r < repeats; r++) {
    const s = scoreRanking(RANDOM, shuffled(truth.length, random), truth, k);
    for (const m of METRICS) out[m].push(s[m] ?? Number.NaN);
  }
  return out;
}

function average(values: readonly number[]): number | null {
  const finite = values.filter((v) => !Number.isNaN(v));
  return finite.length === 0 ? null : finite.reduce((a, v) => a + v, 0) / finite.length;
}

function bootstrapMean(values: readonly number[], resamples: number, random: Random): MetricSummary {
  if (values.length === 0) return { mean: null, lower: null, upper: null, targets: 0 };
  const means: number[] = [];
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[randomInt(random, values.length)]!;
    means.push(sum / values.length);
  }
  means.sort((a, b) => a - b);
  return {
    mean: average(values),
    lower: quantile(means, 0.025),
    upper: quantile(means, 0.975),
    targets: values.length,
  };
}

function candidateTraits(evidence: Evidence, ids: readonly string[]): BackboneTraits[] {
  const known = new Map(evidence.backbones.map((b) => [b.id, b]));
  return ids.map((id) => known.get(id) ?? { id, source: id });
}

interface GroupRun {
  readonly group: HeldOutGroup;
  readonly random: Record<Metric, number[]>;
}

function evaluateGroup(
  evidence: Evidence,
  train: readonly Group[],
  model: ReturnType<typeof fitBackboneRanker>,
  g: Group,
  k: number,
  repeats: number,
  random: Random,
): GroupRun {
  const truth = g.values;
  const predictions = rankBackbones(model, {
    target: evidence.targets.find((t) => t.id === g.target) ?? { id: g.target },
    candidates: candidateTraits(evidence, g.backbones),
    signals: evidence.signals,
    context: { study: g.study, candidateSet: g.candidateSet },
  });
  const methods: MethodScore[] = [
    scoreRanking(
      LEARNED,
      predictions.map((p) => p.mean),
      truth,
      k,
    ),
  ];
  const history = historyPrior(train.filter((t) => t.study === g.study && t.candidateSet === g.candidateSet));
  const baseline = (name: string, scores: readonly (number | undefined)[]) => {
    const filled = lastWhenMissing(scores);
    if (filled !== null) methods.push(scoreRanking(name, filled, truth, k));
  };
  baseline(
    HISTORY,
    g.backbones.map((b) => history.get(b)),
  );
  const traits = new Map(evidence.backbones.map((b) => [b.id, b]));
  baseline(
    LARGEST,
    g.backbones.map((b) => traits.get(b)?.sourceImages),
  );
  const signals = indexSignals(evidence.signals);
  for (const [signal, direction] of [...signals.directions].sort(([a], [b]) => a.localeCompare(b))) {
    const values = g.backbones.map((b) => signals.value(signal, traits.get(b), b, g.target));
    baseline(
      direction === 'lower' ? `nearest by ${signal}` : signal,
      values.map((v) => (v === undefined ? undefined : direction === 'lower' ? -v : v)),
    );
  }
  const randomRuns = randomRankings(truth, k, repeats, random);
  methods.push({
    method: RANDOM,
    ...(Object.fromEntries(METRICS.map((m) => [m, average(randomRuns[m])])) as Record<Metric, number | null>),
  });
  return {
    group: {
      study: g.study,
      candidateSet: g.candidateSet,
      target: g.target,
      predictions: predictions.map((p, i) => ({
        backbone: p.backbone,
        measured: truth[i]!,
        measuredZ: g.z[i]!,
        mean: p.mean,
        sd: p.sd,
        interval80: p.interval80,
        interval90: p.interval90,
      })),
      methods,
    },
    random: randomRuns,
  };
}

function summariseScope(
  scope: string,
  runs: readonly GroupRun[],
  resamples: number,
  repeats: number,
  seed: number,
): ScopeSummary {
  const random = seededRandom(seed);
  const methodNames = [...new Set(runs.flatMap((r) => r.group.methods.map((m) => m.method)))];
  const scoreOf = (run: GroupRun, method: string) => run.group.methods.find((m) => m.method === method);
  const methods = methodNames.map((method): MethodSummary => {
    const covered = runs.filter((r) => scoreOf(r, method) !== undefined);
    const metrics = Object.fromEntries(
      METRICS.map((m) => [
        m,
        bootstrapMean(
          covered.flatMap((r) => {
            const v = scoreOf(r, method)![m];
            return v === null ? [] : [v];
          }),
          resamples,
          random,
        ),
      ]),
    ) as Record<Metric, MetricSummary>;
    const versusRanker =
      method === LEARNED
        ? []
        : (['weightedTau', 'regret'] as const).map((metric): Comparison => {
            const paired = covered.flatMap((r) => {
              const a = scoreOf(r, LEARNED)![metric];
              const b = scoreOf(r, method)![metric];
              return a === null || b === null ? [] : [[a, b] as const];
            });
            return {
              metric,
              pairs: paired.length,
              meanDifference: average(paired.map(([a, b]) => a - b)),
              test:
                paired.length > 0
                  ? wilcoxonSignedRank(
                      paired.map(([a]) => a),
                      paired.map(([, b]) => b),
                    )
                  : null,
            };
          });
    return {
      method,
      metrics,
      top1Hits: covered.reduce((a, r) => a + (scoreOf(r, method)!.top1 ?? 0), 0),
      versusRanker,
    };
  });
  const nullSummary = Object.fromEntries(
    METRICS.map((m) => {
      const replicateMeans: number[] = [];
      for (let r = 0; r < repeats; r++) {
        const v = average(runs.map((run) => run.random[m][r]!));
        if (v !== null) replicateMeans.push(v);
      }
      const mu = average(replicateMeans);
      const sd =
        mu === null || replicateMeans.length < 2
          ? null
          : Math.sqrt(replicateMeans.reduce((a, v) => a + (v - mu) ** 2, 0) / (replicateMeans.length - 1));
      return [m, { mean: mu, sd }];
    }),
  ) as Record<Metric, { mean: number | null; sd: number | null }>;
  const held = runs.flatMap((r) => r.group.predictions);
  const inside = (p: HeldOutPrediction, interval: readonly [number, number]) =>
    p.measuredZ >= interval[0] && p.measuredZ <= interval[1];
  return {
    scope,
    targets: runs.length,
    methods,
    null: nullSummary,
    calibration: {
      pairs: held.length,
      coverage80: held.length > 0 ? held.filter((p) => inside(p, p.interval80)).length / held.length : null,
      coverage90: held.length > 0 ? held.filter((p) => inside(p, p.interval90)).length / held.length : null,
    },
  };
}

/** Scopes: every (study, candidate set), then all groups pooled. */
export function evaluateRanker(evidence: Evidence, options: EvaluationOptions = {}): RankerEvaluation {
  const k = options.k ?? 3;
  const seed = options.seed ?? 1;
  const resamples = options.bootstrapResamples ?? 2000;
  const repeats = options.nullRepeats ?? 1000;
  const all = groupObservations(evidence.observations);
  const targets = [...new Set(all.map((g) => g.target))]
    .sort()
    .filter((t) => options.heldOutTargets === undefined || options.heldOutTargets.includes(t));
  const random = seededRandom(seed);
  const runs: GroupRun[] = [];
  const folds: RankerEvaluation['folds'][number][] = [];
  for (const target of targets) {
    const trainEvidence = { ...evidence, observations: evidence.observations.filter((o) => o.target !== target) };
    const train = groupObservations(trainEvidence.observations);
    if (train.length === 0) continue;
    const model = fitBackboneRanker(trainEvidence, options.ranker);
    folds.push({ target, hyper: model.hyper, trainingGroups: train.length });
    for (const g of all.filter((x) => x.target === target))
      runs.push(evaluateGroup(evidence, train, model, g, k, repeats, random));
  }
  const scopeNames = [...new Set(runs.map((r) => `${r.group.study}/${r.group.candidateSet}`))].sort();
  const scopes = scopeNames.map((name, i) =>
    summariseScope(
      name,
      runs.filter((r) => `${r.group.study}/${r.group.candidateSet}` === name),
      resamples,
      repeats,
      seed + 1 + i,
    ),
  );
  if (scopeNames.length > 1)
    scopes.push(summariseScope('pooled', runs, resamples, repeats, seed + 1 + scopeNames.length));
  (options.extraScopes ?? []).forEach((extra, i) => {
    const chosen = runs.filter((r) => extra.include(r.group));
    if (chosen.length > 0)
      scopes.push(summariseScope(extra.name, chosen, resamples, repeats, seed + 2 + scopeNames.length + i));
  });
  return {
    k,
    seed,
    bootstrapResamples: resamples,
    nullRepeats: repeats,
    folds,
    groups: runs.map((r) => r.group),
    scopes,
  };
}
