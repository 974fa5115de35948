/**
 * The learned ranker: Bayesian linear regression of transferability on pair features, with the prior
 * precision and noise variance chosen by cross-validation over targets (the question users ask is
 * always about a target the model has not seen). Models are plain JSON, versioned by a hash of their
 * training data and hyper-parameters.
 */
import { createHash } from 'node:crypto';
import { fitPosterior, logPredictiveDensity, posteriorFromStatistics, predictive, sufficientStatistics, type Hyper, type Posterior } from './bayesian-linear.js';
import { buildDesign, encode, type Design, type RawRow } from './design.js';
import { featureNames, pairFeatures, type FeatureContext } from './features.js';
import { resolveDistance } from './distances.js';
import type { PairValue } from './correlation-analysis.js';
import { NotEnoughEvidenceError } from './errors.js';

export const RANKER_FORMAT = 'transfer-atlas/bayesian-linear-ranker';
export const RANKER_FORMAT_VERSION = 1;
/** z such that N(0,1) puts 90% of its mass in [-z, z]. */
const Z90 = 1.6448536269514722;

export const DEFAULT_PRIOR_PRECISIONS = [0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100] as const;
/** Noise variances as fractions of the training variance of transferability, so the grid follows the data's units. */
export const DEFAULT_NOISE_FRACTIONS = [0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5] as const;

export interface RankerOptions {
  /** Distance signals used as features, e.g. ['task2vec:resnet50', 'expert']. */
  readonly distanceSignals: readonly string[];
  readonly priorPrecisions?: readonly number[];
  readonly noiseFractions?: readonly number[];
}

export interface CrossValidation {
  readonly scheme: 'leave-one-target-out' | 'leave-one-pair-out';
  readonly criterion: 'mean negative log predictive density';
  readonly folds: number;
  readonly best: number;
  readonly grid: readonly { readonly priorPrecision: number; readonly noiseVariance: number; readonly score: number }[];
}

export interface RankerModel {
  readonly format: typeof RANKER_FORMAT;
  readonly formatVersion: typeof RANKER_FORMAT_VERSION;
  /** sha256 (first 16 hex digits) of the training pairs, their features, the feature spec and hyper-parameters. */
  readonly version: string;
  readonly distanceSignals: readonly string[];
  readonly design: Design;
  readonly hyper: Hyper;
  readonly posterior: Posterior;
  readonly crossValidation: CrossValidation;
  readonly training: { readonly pairs: number; readonly targets: readonly string[]; readonly sources: readonly string[] };
}

export interface PairPrediction {
  readonly source: string;
  readonly target: string;
  readonly mean: number;
  readonly std: number;
  readonly interval90: readonly [number, number];
  /** Base features this prediction had; the rest were imputed. */
  readonly signalsUsed: readonly string[];
  readonly signalsMissing: readonly string[];
  readonly distances: Readonly<Record<string, { readonly value: number; readonly via?: { readonly source: string; readonly target: string } }>>;
  /**
   * What moved the prediction away from the average training pair (the intercept): per base
   * feature, its weight times its standardised value, its missing-indicator's share included;
   * largest first. They sum, with `baseline`, to `mean`.
   */
  readonly baseline: number;
  readonly contributions: readonly { readonly feature: string; readonly effect: number }[];
  readonly modelVersion: string;
}

interface Sample {
  readonly source: string;
  readonly target: string;
  readonly value: number;
  readonly raw: RawRow;
}

function fitOn(samples: readonly Sample[], names: readonly string[], hyper: Hyper): { design: Design; posterior: Posterior } {
  const design = buildDesign(names, samples.map((s) => s.raw));
  const posterior = fitPosterior(samples.map((s) => encode(design, s.raw)), samples.map((s) => s.value), hyper);
  return { design, posterior };
}

function variance(values: readonly number[]): number {
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  return values.reduce((a, v) => a + (v - m) * (v - m), 0) / Math.max(1, values.length - 1);
}

/** Held-out groups: whole targets when there are at least two, otherwise single pairs. */
function cvGroups(samples: readonly Sample[]): { scheme: CrossValidation['scheme']; groups: number[][] } {
  const targets = [...new Set(samples.map((s) => s.target))].sort();
  if (targets.length >= 2) return { scheme: 'leave-one-target-out', groups: targets.map((t) => samples.flatMap((s, i) => (s.target === t ? [i] : []))) };
  return { scheme: 'leave-one-pair-out', groups: samples.map((_, i) => [i]) };
}

function crossValidate(samples: readonly Sample[], names: readonly string[], options: RankerOptions): CrossValidation {
  const { scheme, groups } = cvGroups(samples);
  const spread = variance(samples.map((s) => s.value)) || 1;
  // Each fold's design and statistics do not depend on the hyper-parameters: build them once.
  const folds = groups.map((held) => {
    const heldSet = new Set(held);
    const train = samples.filter((_, i) => !heldSet.has(i));
    const design = buildDesign(names, train.map((s) => s.raw));
    const stats = sufficientStatistics(train.map((s) => encode(design, s.raw)), train.map((s) => s.value));
    return { stats, held: held.map((i) => ({ row: encode(design, samples[i]!.raw), value: samples[i]!.value })) };
  });
  const grid: { priorPrecision: number; noiseVariance: number; score: number }[] = [];
  for (const priorPrecision of options.priorPrecisions ?? DEFAULT_PRIOR_PRECISIONS) {
    for (const fraction of options.noiseFractions ?? DEFAULT_NOISE_FRACTIONS) {
      const hyper = { priorPrecision, noiseVariance: fraction * spread };
      let total = 0;
      let count = 0;
      for (const fold of folds) {
        const posterior = posteriorFromStatistics(fold.stats, hyper);
        for (const h of fold.held) {
          total -= logPredictiveDensity(h.value, predictive(posterior, h.row, hyper.noiseVariance));
          count++;
        }
      }
      grid.push({ ...hyper, score: total / count });
    }
  }
  const best = grid.reduce((b, g, i) => (g.score < grid[b]!.score ? i : b), 0);
  return { scheme, criterion: 'mean negative log predictive density', folds: groups.length, best, grid };
}

function modelVersion(samples: readonly Sample[], distanceSignals: readonly string[], hyper: Hyper): string {
  const data = samples
    .map((s) => [s.source, s.target, s.value, s.raw.map((v) => v ?? null)] as const)
    .sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]));
  const canonical = JSON.stringify({ format: RANKER_FORMAT, formatVersion: RANKER_FORMAT_VERSION, distanceSignals, hyper, data });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

const MIN_PAIRS = 3;

/** Fits the ranker on measured pair transferabilities; self-pairs are ignored. Needs at least three pairs. */
export function trainRanker(observations: readonly PairValue[], context: FeatureContext, options: RankerOptions): RankerModel {
  const names = featureNames(options.distanceSignals);
  const samples: Sample[] = observations
    .filter((o) => o.source !== o.target)
    .map((o) => ({ source: o.source, target: o.target, value: o.value, raw: pairFeatures(context, options.distanceSignals, o.source, o.target) }));
  if (samples.length < MIN_PAIRS) throw new NotEnoughEvidenceError(MIN_PAIRS, samples.length);
  const crossValidation = crossValidate(samples, names, options);
  const chosen = crossValidation.grid[crossValidation.best]!;
  const hyper: Hyper = { priorPrecision: chosen.priorPrecision, noiseVariance: chosen.noiseVariance };
  const { design, posterior } = fitOn(samples, names, hyper);
  return {
    format: RANKER_FORMAT,
    formatVersion: RANKER_FORMAT_VERSION,
    version: modelVersion(samples, options.distanceSignals, hyper),
    distanceSignals: [...options.distanceSignals],
    design,
    hyper,
    posterior,
    crossValidation,
    training: {
      pairs: samples.length,
      targets: [...new Set(samples.map((s) => s.target))].sort(),
      sources: [...new Set(samples.map((s) => s.source))].sort(),
    },
  };
}

export function predictPair(model: RankerModel, context: FeatureContext, source: string, target: string): PairPrediction {
  const raw = pairFeatures(context, model.distanceSignals, source, target);
  const row = encode(model.design, raw);
  const p = predictive(model.posterior, row, model.hyper.noiseVariance);
  const n = model.design.baseFeatures.length;
  const weight = (column: number) => model.posterior.mean[column + 1]! * row[column]!;
  const contributions = model.design.baseFeatures
    .map((feature, j) => ({ feature, effect: weight(j) + weight(j + n) }))
    .sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect));
  const std = Math.sqrt(p.variance);
  const distances: Record<string, { value: number; via?: { source: string; target: string } }> = {};
  for (const signal of model.distanceSignals) {
    const d = resolveDistance(context.distances, signal, source, target, context.proxy);
    if (d !== undefined) distances[signal] = d.via ? { value: d.value, via: d.via } : { value: d.value };
  }
  return {
    source,
    target,
    mean: p.mean,
    std,
    interval90: [p.mean - Z90 * std, p.mean + Z90 * std],
    signalsUsed: model.design.baseFeatures.filter((_, j) => raw[j] !== undefined),
    signalsMissing: model.design.baseFeatures.filter((_, j) => raw[j] === undefined),
    distances,
    baseline: model.posterior.mean[0]!,
    contributions,
    modelVersion: model.version,
  };
}

export function serialiseModel(model: RankerModel): string {
  return JSON.stringify(model);
}

/** Parses a stored model, refusing other formats rather than predicting with misread weights. */
export function parseModel(json: string): RankerModel {
  const model = JSON.parse(json) as Partial<RankerModel>;
  if (model.format !== RANKER_FORMAT || model.formatVersion !== RANKER_FORMAT_VERSION) {
    throw new Error(`not a ${RANKER_FORMAT} v${RANKER_FORMAT_VERSION} model`);
  }
  const width = model.design?.columns.length;
  if (width === undefined || model.posterior?.mean.length !== width + 1 || model.posterior.covariance.length !== width + 1) {
    throw new Error('stored model is inconsistent: weights do not match its columns');
  }
  return model as RankerModel;
}
