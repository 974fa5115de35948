/** Domain and service objects in the API's snake_case shapes (openapi.yaml's schemas). */
import type { components } from '../api/schema.js';
import type { CorrelationAnalysis, CorrelationTest, BootstrapInterval, EvaluationReport, MethodResult } from '../ranking/index.js';
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
    interval: { lower: i.lower, upper: i.upper, level: i.level, resamples: i.resamples, undefined_resamples: i.undefinedResamples, seed: i.seed },
  };
}

export function presentAnalysis(analysis: CorrelationAnalysis & { readonly pairs: number }): Schemas['CorrelationAnalysis'] {
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

function method(m: MethodResult): Schemas['MethodScore'] {
  return { method: m.method, spearman: m.spearman, ndcg: m.ndcg, regret: m.regret };
}

export function presentEvaluation(report: EvaluationReport & { readonly signals: readonly string[]; readonly probe: string | null }): Schemas['Evaluation'] {
  return {
    k: report.k,
    random_repeats: report.randomRepeats,
    seed: report.seed,
    probe: report.probe,
    signals: [...report.signals],
    summary: report.summary.map((s) => ({ ...method(s), spearman_targets: s.spearmanTargets })),
    targets: report.targets.map((t) => ({ target: t.target, sources: [...t.sources], measured: [...t.measured], model_version: t.modelVersion, methods: t.methods.map(method) })),
    skipped: report.skipped.map((s) => ({ ...s })),
  };
}

export function presentRanker(fitted: FittedRanker): Schemas['RankerSummary'] {
  const { model, stored } = fitted;
  const cv = model.crossValidation;
  return {
    version: model.version,
    created_at: stored.createdAt,
    refitted: fitted.refitted,
    signals: [...model.distanceSignals],
    training: { pairs: model.training.pairs, targets: [...model.training.targets], sources: [...model.training.sources] },
    prior_precision: model.hyper.priorPrecision,
    noise_variance: model.hyper.noiseVariance,
    cross_validation: { scheme: cv.scheme, folds: cv.folds, criterion: cv.criterion, score: cv.grid[cv.best]!.score },
  };
}

export function presentRecommendations(result: RecommendationResult): Schemas['Recommendations'] {
  return {
    target: result.target,
    embedding: { ...result.embedding },
    model: presentRanker(result.ranker),
    items: result.items.map((r) => ({
      rank: r.rank,
      source: r.source,
      basis: r.basis,
      score: r.score,
      predicted: {
        mean: r.prediction.mean,
        std: r.prediction.std,
        interval90: [...r.prediction.interval90],
        baseline: r.prediction.baseline,
        contributions: r.prediction.contributions.map((c) => ({ ...c })),
      },
      measured: r.measured ? { transferability: r.measured.value, results: r.measured.results ?? 1 } : null,
      distances: Object.fromEntries(Object.entries(r.prediction.distances).map(([k, d]) => [k, d.via ? { value: d.value, via: { ...d.via } } : { value: d.value }])),
      signals_used: [...r.prediction.signalsUsed],
      signals_missing: [...r.prediction.signalsMissing],
      model_version: r.prediction.modelVersion,
      reason: r.reason,
      backbone: r.backbone,
    })),
  };
}
