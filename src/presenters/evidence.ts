/** Domain and service objects in the API's snake_case shapes (openapi.yaml's schemas). */
import type { components } from '../api/schema.js';
import {
  METRICS,
  type BootstrapInterval,
  type CorrelationAnalysis,
  type CorrelationTest,
  type EstimatorCorrelation,
  type MeasuredOn,
  type Metric,
  type RankerEvaluation,
} from '../ranking/index.js';
import type { FittedRanker, RecommendationResult, ResultView, TargetSimilarity } from '../services/index.js';
import { definedOnly } from '../defaults.js';
import { referenceOf, type Protocol, type StoredResult, type Transferability } from '../transfer/index.js';

type Schemas = components['schemas'];

export function presentProtocol(p: Protocol): Schemas['Protocol'] {
  return definedOnly({ folds: p.folds, metric: p.metric, image_size: p.imageSize, epochs: p.epochs, notes: p.notes });
}

/** A result's transferability, or why it has none, under the key the wire gives each. */
export function presentTransferability(
  t: Transferability,
): Pick<Schemas['TransferResult'], 'transferability' | 'transferability_unavailable'> {
  return t.ok
    ? { transferability: { mean: t.mean, std: t.std, folds: [...t.folds], baseline_ids: [...t.baselineIds] } }
    : { transferability_unavailable: { reason: t.reason, message: t.message } };
}

/** A stored result as the wire shows it, without its transferability: what a withdrawal prints. */
export function presentStoredResult(
  r: StoredResult,
): Omit<Schemas['TransferResult'], 'mean' | 'transferability' | 'transferability_unavailable'> {
  return {
    id: r.id,
    source: r.source,
    target: r.target,
    architecture: r.architecture,
    backbone: r.backbone,
    ...definedOnly({ study: r.study }),
    protocol: presentProtocol(r.protocol),
    folds: r.foldValues.map((value, i) => ({ fold: i + 1, value })),
    contributor: r.provenance.contributor,
    ...definedOnly({ reference: referenceOf(r.provenance) }),
    created_at: r.createdAt,
    ...definedOnly({ withdrawn_at: r.withdrawnAt }),
  };
}

/** A result as the API shows it: with its mean and its transferability (or why there is none). */
export function presentResult(r: ResultView): Schemas['TransferResult'] {
  const mean = r.foldValues.reduce((a, v) => a + v, 0) / Math.max(1, r.foldValues.length);
  return { ...presentStoredResult(r), ...presentTransferability(r.transferability), mean };
}

/** A row of GET /v1/transferability: a result with a source, named by its id. */
export function presentTransferabilityRow(r: ResultView): Schemas['TransferabilityRow'] {
  return {
    result_id: r.id,
    source: r.source!,
    target: r.target,
    architecture: r.architecture,
    protocol: presentProtocol(r.protocol),
    ...presentTransferability(r.transferability),
  };
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
        ...definedOnly({ proxied_via: u.proxiedVia ? { ...u.proxiedVia } : undefined }),
      })),
      left_out: s.leftOut.map((l) => ({ ...l })),
    })),
  };
}

export function presentEstimatorAnalysis(signals: readonly EstimatorCorrelation[]): Schemas['EstimatorAnalysis'] {
  return {
    scale: 'z-within-group',
    signals: signals.map((s) => ({
      signal: s.signal,
      n: s.n,
      groups: s.groups,
      pearson: correlation(s.pearson),
      spearman: correlation(s.spearman),
      used: s.used.map((p) => ({
        backbone: p.backbone,
        target: p.target,
        study: p.study,
        candidate_set: p.candidateSet,
        value: p.value,
        signal_z: p.signalZ,
        result_z: p.resultZ,
      })),
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
  const { model } = fitted;
  const cv = model.crossValidation;
  return {
    version: fitted.version,
    created_at: fitted.createdAt,
    scale: 'z-within-group',
    probe: fitted.probe,
    signals: [...model.encoding.signals],
    training: { groups: model.training.groups, pairs: model.training.pairs, targets: [...model.training.targets] },
    hyper: {
      backbone_precision: model.hyper.backbonePrecision,
      trait_precision: model.hyper.traitPrecision,
      interaction_precision: model.hyper.interactionPrecision,
      signal_precision: model.hyper.signalPrecision,
      noise_variance: model.hyper.noiseVariance,
      measurement_noise: model.hyper.measurementNoise,
      spread_exponent: model.hyper.spreadExponent,
    },
    cross_validation:
      cv === null
        ? null
        : {
            scheme: cv.scheme,
            criterion: cv.criterion,
            family_criterion: cv.familyCriterion,
            family: cv.family,
            families: cv.families.map((f) => ({ family: f.family, score: f.score, weighted_tau: f.weightedTau })),
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

function presentSimilarity(s: TargetSimilarity): Schemas['TargetSimilarity'] {
  return {
    probe: s.probe,
    same_data_bound: s.sameDataBound,
    compared: s.compared,
    nearest: s.nearest.map((n) => ({ ...n })),
    verdict: s.verdict,
    match: s.match === null ? null : { ...s.match },
    matched_results: s.matchedResults.map((m) => ({
      study: m.study,
      candidate_set: m.candidateSet,
      backbones: m.backbones,
    })),
    summary: s.summary,
  };
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
    source_distances:
      result.sourceDistances === null
        ? null
        : {
            probe: result.sourceDistances.probe,
            distance: 'task2vec_cosine',
            items: result.sourceDistances.items.map((d) => ({ source: d.source, distance: d.distance })),
          },
    estimator_scores: result.estimatorScores.map((e) => ({ backbone: e.backbone, signal: e.signal, value: e.value })),
    similarity: result.similarity === null ? null : presentSimilarity(result.similarity),
    held_out:
      result.heldOut === null
        ? null
        : result.heldOut.map((c) => ({
            study: c.study,
            candidate_set: c.candidateSet,
            backbones: c.backbones,
            weighted_tau: c.weightedTau,
            predicted_best: c.predictedBest,
            measured_best: c.measuredBest,
            regret: c.regret,
          })),
    model: presentRanker(result.ranker),
    items: result.items.map((r) => ({
      rank: r.rank,
      backbone: r.backbone,
      source: r.source,
      architecture: r.architecture,
      weights: { ...r.weights },
      basis: r.measured.length > 0 && result.heldOut === null ? 'measured' : 'predicted',
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
