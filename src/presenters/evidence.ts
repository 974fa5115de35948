/** Domain and service objects in the API's snake_case shapes (openapi.yaml's schemas). */
import type { components } from '../api/schema.js';
import {
  METRICS,
  type BootstrapInterval,
  type CorrelationAnalysis,
  type CorrelationTest,
  type MeasuredOn,
  type Metric,
  type RankerEvaluation,
} from '../ranking/index.js';
import type { FittedRanker, RecommendationResult, ResultView } from '../services/index.js';

type Schemas = components['schemas'];

/** A result as the API shows it: with its mean and its transferability (or why there is none). */
export function presentResult(run: ResultView): Schemas['TransferResult'] {
  const mean = run.folds.reduce((a, f) => a + f.value, 0) / Math.max(1, run.folds.length);
  return { ...run, mean } as Schemas['TransferResult'];
}

function correlation(test: CorrelationTest & { readonly interval: BootstrapInterval }): Schemas['Correlation'] {
  const i = test.interval;
  return {
    coefficient: test.coefficient,
    p_value: test.pValue,
    p_value_method: test.pValueMethod,
    interval: {
      lower: i.lower,
      upper: i.upper,
      level: i.level,
      resamples: i.resamples,
      undefined_resamples: i.undefinedResamples,
      seed: i.seed,
    },
  };
}

export function presentAnalysis(
  analysis: CorrelationAnalysis & { readonly pairs: number },
): Schemas['CorrelationAnalysis'] {
  return {
    pairs: analysis.pairs,
    proxy: analysis.proxy ? { map: { ...analysis.proxy.map }, signals: [...(analysis.proxy.signals ?? [])] } : null,
    signals: analysis.signals.map((s) => ({
      signal: s.signal,
      n: s.n,
      pearson: correlation(s.pearson),
      spearman: correlation(s.spearman),
      used: s.used.map((u) => ({
        source: u.source,
        target: u.target,
        distance: u.distance,
        transferability: u.transferability,
        ...(u.proxiedVia ? { proxied_via: { ...u.proxiedVia } } : {}),
      })),
      left_out: s.leftOut.map((l) => ({ ...l })),
    })),
  };
}

const metricNames = {
  weightedTau: 'weighted_tau',
  spearman: 'spearman',
  ndcg: 'ndcg',
  regret: 'regret',
  top1: 'top1',
} as const;

function metricValues<T>(values: Readonly<Record<Metric, T>>): Record<(typeof metricNames)[Metric], T> {
  return Object.fromEntries(METRICS.map((m) => [metricNames[m], values[m]])) as Record<(typeof metricNames)[Metric], T>;
}

export function presentEvaluation(version: string, e: RankerEvaluation): Schemas['Evaluation'] {
  return {
    model_version: version,
    scale: 'z-within-group',
    k: e.k,
    seed: e.seed,
    bootstrap_resamples: e.bootstrapResamples,
    null_repeats: e.nullRepeats,
    scopes: e.scopes.map((s) => ({
      scope: s.scope,
      targets: s.targets,
      methods: s.methods.map((m) => ({
        method: m.method,
        metrics: metricValues(m.metrics),
        top1_hits: m.top1Hits,
        versus_ranker: m.versusRanker.map((c) => ({
          metric: metricNames[c.metric],
          pairs: c.pairs,
          mean_difference: c.meanDifference,
          test:
            c.test === null
              ? null
              : { n: c.test.n, statistic: c.test.statistic, p_value: c.test.pValue, method: c.test.method },
        })),
      })),
      null: metricValues(s.null),
      calibration: { ...s.calibration },
    })),
    groups: e.groups.map((g) => ({
      study: g.study,
      candidate_set: g.candidateSet,
      target: g.target,
      methods: g.methods.map((m) => ({ method: m.method, ...metricValues(m) })),
    })),
  };
}

export function presentRanker(fitted: FittedRanker): Schemas['RankerSummary'] {
  const { model, stored } = fitted;
  const cv = model.crossValidation;
  return {
    version: fitted.version,
    created_at: stored.createdAt,
    scale: 'z-within-group',
    probe: fitted.probe,
    signals: [...model.encoding.signals],
    training: { groups: model.training.groups, pairs: model.training.pairs, targets: [...model.training.targets] },
    hyper: {
      backbone_precision: model.hyper.backbonePrecision,
      trait_precision: model.hyper.traitPrecision,
      signal_precision: model.hyper.signalPrecision,
      noise_variance: model.hyper.noiseVariance,
    },
    cross_validation:
      cv === null
        ? null
        : {
            scheme: cv.scheme,
            criterion: cv.criterion,
            folds: cv.folds,
            configurations: cv.configurations,
            score: cv.score,
          },
    evaluated: fitted.evaluation !== null,
  };
}

function measuredOn(m: MeasuredOn): Schemas['MeasuredOn'] {
  return { study: m.study, candidate_set: m.candidateSet, target: m.target, z: m.z, rank: m.rank, of: m.of };
}

export function presentRecommendations(result: RecommendationResult): Schemas['Recommendations'] {
  return {
    target: result.target,
    target_traits: {
      colour: result.traits.colour,
      classes: result.traits.classes,
      images: result.traits.images,
      image_size: result.traits.imageSize,
      origin: result.traits.origin,
      modality: result.traits.modality,
      expert_features: {
        source: result.traits.expertFeatures.source,
        features: { ...result.traits.expertFeatures.features },
        missing: [...result.traits.expertFeatures.missing],
      },
      left_out: [...result.traits.leftOut],
    },
    scale: result.scale,
    probe: result.probe,
    target_embedded: result.targetEmbedded,
    without_embedding: [...result.withoutEmbedding],
    model: presentRanker(result.ranker),
    items: result.items.map((r) => ({
      rank: r.rank,
      backbone: r.backbone,
      source: r.source,
      architecture: r.architecture,
      weights: { ...r.weights },
      basis: r.measured.length > 0 ? 'measured' : 'predicted',
      scale: r.scale,
      predicted: { mean: r.mean, sd: r.sd, interval80: [...r.interval80], interval90: [...r.interval90] },
      measured: r.measured.map((m) => ({
        study: m.study,
        candidate_set: m.candidateSet,
        value: m.value,
        z: m.z,
        rank: m.rank,
        of: m.of,
      })),
      explanation: {
        track_record: r.explanation.trackRecord,
        traits: r.explanation.traits,
        interactions: r.explanation.interactions.map((x) => ({ ...x })),
        signals: r.explanation.signals.map((x) => ({ ...x })),
      },
      evidence: {
        targets_measured: r.evidence.targetsMeasured,
        groups_measured: r.evidence.groupsMeasured,
        wins: r.evidence.wins,
        win_rate: r.evidence.winRate,
        pairwise_win_rate: r.evidence.pairwiseWinRate,
        mean_z: r.evidence.meanZ,
        similar_targets: r.evidence.similarTargets.map((t) => ({ ...measuredOn(t), distance: t.distance })),
      },
      reason: r.reason,
    })),
  };
}
