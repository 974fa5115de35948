/**
 * A hierarchical Bayesian linear model of how well a backbone fine-tunes on a target, on the z-score of
 * the metric within its group (study, target, candidate set):
 *
 *   z(b, t) = e_b + traits(b)·γ + interactions(b, t)·δ + signals(b, t)·β + ε
 *   e_b ~ N(0, τ²)       the backbone's own track record, beyond what its traits predict
 *   γ ~ N(0, 1/λ_t)      so a backbone never measured still gets a prior from its traits
 *   δ ~ N(0, 1/λ_i)      traits of the pair: same modality, grey or colour on either side, sizes
 *   β ~ N(0, 1/λ_s)      pair signals, each z-scored within the group
 *   ε ~ N(0, σ² + (η·r^p / s_g)²)
 *
 * The noise has a part common to all pairs (σ²) and a measurement part: η is the noise of one reported
 * result in the metric's units, s_g the group's standard deviation (so a target whose backbones all
 * score within a hair of each other says little about their order), and r the pair's spread over the
 * study's hyper-parameter runs relative to the study's median spread (1 where none is published; p = 0
 * ignores it). With τ² large and λ_t, λ_i, λ_s large the model is the history prior: each backbone's
 * (weighted) mean z on the other targets.
 *
 * Marginally, a backbone's effect e_b + traits(b)·γ is shrunk towards the regression on its traits, the
 * more so the fewer targets it was measured on. Only differences within a group are observed, so every
 * column is centred within its group (a fixed effect per group, which also drops the intercept and any
 * column that depends on the target alone). τ², λ_t, λ_s and σ² are chosen by leave-one-target-out
 * predictive likelihood on the training data only.
 *
 * One σ² serves every study, but z-scores among a study's 15 sources scatter more around their
 * prediction than among its 9 ImageNet architectures: each context's predictive variance is scaled by
 * the mean squared standardised error of its held-out predictions in that same cross-validation.
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { invalid } from '../errors.js';
import { weightedTau } from './weighted-tau.js';
import {
  groupObservations,
  indexSignals,
  type BackboneTraits,
  type Evidence,
  type Group,
  type SignalIndex,
  type TargetTraits,
} from './backbone-evidence.js';

/** Standard normal quantiles for central 80% and 90% intervals. */
const Z80 = 1.2815515655446004;
const Z90 = 1.6448536269514722;

export interface RankerHyper {
  /** 1/τ²: precision of a backbone's own effect. */
  readonly backbonePrecision: number;
  /** λ_t: precision of each standardised backbone-trait weight. */
  readonly traitPrecision: number;
  /** λ_i: precision of each standardised interaction (pair-trait) weight. */
  readonly interactionPrecision: number;
  /** λ_s: precision of each signal weight. */
  readonly signalPrecision: number;
  /** σ², in squared z units. */
  readonly noiseVariance: number;
  /** η: noise of one reported result, in the metric's units. */
  readonly measurementNoise: number;
  /** p: 1 scales η by the pair's relative spread over hyper-parameter runs, 0 ignores spreads. */
  readonly spreadExponent: number;
}

export interface HyperGrid {
  readonly backbonePrecision: readonly number[];
  readonly traitPrecision: readonly number[];
  readonly interactionPrecision: readonly number[];
  readonly signalPrecision: readonly number[];
  readonly noiseVariance: readonly number[];
  readonly measurementNoise: readonly number[];
  readonly spreadExponent: readonly number[];
}

/** Each range reaches values that switch its part of the model practically off, so cross-validation can say a part does not help. */
export const DEFAULT_GRID: HyperGrid = {
  backbonePrecision: [0.25, 0.5, 1, 2, 4, 8, 16, 32],
  traitPrecision: [0.1, 0.3, 1, 3, 10, 30, 100, 1000, 10000],
  interactionPrecision: [0.1, 0.3, 1, 3, 10, 30, 100, 1000, 10000],
  signalPrecision: [0.3, 1, 3, 10, 30, 100, 1000, 10000],
  noiseVariance: [0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.75, 0.9],
  measurementNoise: [0, 0.0005, 0.001, 0.002, 0.004, 0.008],
  spreadExponent: [0, 1],
};

export interface RankerOptions {
  readonly grid?: HyperGrid;
  /** A signal enters the model only when it covers at least this many training groups ... */
  readonly minSignalGroups?: number;
  /** ... and this many training pairs. */
  readonly minSignalPairs?: number;
}

type ColumnKind = 'backbone' | 'trait' | 'interaction' | 'signal';

/**
 * Nested model families, simplest first; each next one lets one more part of the model in. The first
 * is the history prior (each backbone's noise-weighted mean z elsewhere), shrunk towards what its
 * traits predict: held-out rankings of measured backbones cannot tell whether traits help, and an
 * unseen backbone has nothing else, so traits are in every family (their precision, from the
 * predictive density, can still switch them practically off).
 */
export const MODEL_FAMILIES = ['track record', '+ interactions', '+ signals'] as const;
export type ModelFamily = (typeof MODEL_FAMILIES)[number];
const FAMILY_PARTS: Record<ModelFamily, readonly ColumnKind[]> = {
  'track record': ['backbone', 'trait'],
  '+ interactions': ['backbone', 'trait', 'interaction'],
  '+ signals': ['backbone', 'trait', 'interaction', 'signal'],
};
const PRECISION_KEY = {
  interaction: 'interactionPrecision',
  signal: 'signalPrecision',
} as const;
/** A prior precision that holds a part of the model at zero: the part is switched off. */
export const OFF = 1e9;

interface Column {
  readonly name: string;
  readonly kind: ColumnKind;
}

/** What encodes a (backbone, target) pair into model columns; all learned from training data. */
interface Encoding {
  readonly columns: readonly Column[];
  /** One track record per backbone and context (study/candidate set): z-scores compare a backbone only with its own competitors. */
  readonly tracks: readonly { readonly context: string; readonly backbone: string }[];
  readonly architectures: readonly string[];
  readonly modalities: readonly string[];
  readonly signals: readonly string[];
  /** Training means used where a trait is unknown. */
  readonly meanLog10Images: number;
  readonly meanNatural: number;
  readonly meanTargetLog10Images: number;
  /** Training standard deviation of each group-centred column (1 where not rescaled). */
  readonly scale: readonly number[];
}

export interface MeasuredOn {
  readonly study: string;
  readonly candidateSet: string;
  readonly target: string;
  readonly z: number;
  /** 1 is best. */
  readonly rank: number;
  readonly of: number;
}

export interface FamilyScore {
  readonly family: ModelFamily;
  /** Mean negative log predictive density of the family's best configuration. */
  readonly score: number;
  /** Mean weighted Kendall tau of its held-out rankings over the held-out groups. */
  readonly weightedTau: number;
}

export interface CrossValidationSummary {
  readonly scheme: 'leave-one-target-out';
  readonly criterion: 'mean negative log predictive density';
  /** How the family was chosen among the nested ones. */
  readonly familyCriterion: 'mean weighted tau of held-out rankings; the simpler family on ties';
  readonly family: ModelFamily;
  readonly families: readonly FamilyScore[];
  readonly folds: number;
  readonly configurations: number;
  readonly score: number;
}

/**
 * Mean squared standardised held-out error of the chosen configuration in leave-one-target-out
 * cross-validation on the training targets: 1 when the intervals cover what they claim. A context
 * (study and candidate set) held out on fewer than MIN_CALIBRATION_TARGETS targets takes the pooled factor.
 */
export interface VarianceCalibration {
  readonly pooled: number;
  readonly contexts: Readonly<Record<string, number>>;
}

const MIN_CALIBRATION_TARGETS = 3;

export interface BackboneRanker {
  readonly hyper: RankerHyper;
  /** Noise variance of a result on a target not yet measured (the training pairs' median). */
  readonly predictiveNoiseVariance: number;
  /** Factors on the predictive variance, from the inner cross-validation's held-out errors. */
  readonly varianceCalibration: VarianceCalibration;
  readonly encoding: Encoding;
  readonly posteriorMean: readonly number[];
  readonly posteriorCovariance: readonly (readonly number[])[];
  readonly crossValidation: CrossValidationSummary | null;
  readonly training: { readonly groups: number; readonly pairs: number; readonly targets: readonly string[] };
  /** Where each backbone was measured, for explanations. */
  readonly record: Readonly<Record<string, readonly MeasuredOn[]>>;
  readonly targetTraits: Readonly<Record<string, TargetTraits>>;
}

export interface Explanation {
  /** The backbone's own effect beyond its traits, learned from its results on other targets. */
  readonly trackRecord: number;
  /** What its traits (source size, origin, modality, architecture) predict for any target. */
  readonly traits: number;
  readonly interactions: readonly { readonly name: string; readonly effect: number }[];
  readonly signals: readonly { readonly signal: string; readonly value: number | null; readonly effect: number }[];
}

export interface BackboneEvidence {
  readonly targetsMeasured: number;
  readonly groupsMeasured: number;
  /** Groups where it came first. */
  readonly wins: number;
  readonly winRate: number | null;
  /** Share of the backbones it was compared with that it beat. */
  readonly pairwiseWinRate: number | null;
  /** History prior: mean z over the targets it was measured on. */
  readonly meanZ: number | null;
  /** Its results on the measured targets most like this one (modality, colour, classes, images). */
  readonly similarTargets: readonly (MeasuredOn & { readonly distance: number })[];
}

export interface BackbonePrediction {
  readonly backbone: string;
  readonly target: string;
  /** z-score of the metric among the candidates, the scale the model learns on. */
  readonly scale: 'z-within-group';
  readonly mean: number;
  /** Predictive: includes the noise of a single measured result. */
  readonly sd: number;
  readonly interval80: readonly [number, number];
  readonly interval90: readonly [number, number];
  /** trackRecord + traits + interactions + signals = mean. */
  readonly explanation: Explanation;
  readonly evidence: BackboneEvidence;
}

const INTERACTIONS = [
  'same modality',
  'natural source x grey target',
  'grey source x grey target',
  'source size x grey target',
  'source size x target size',
] as const;

/** A source may cover several modalities ("ct, mri, ultrasound"); a target matches any of them. */
function sameModality(source: string | undefined, target: string | undefined): boolean {
  if (source === undefined || target === undefined) return false;
  const t = target.trim().toLowerCase();
  return source.split(',').some((m) => m.trim().toLowerCase() === t);
}

function log10OrUndefined(v: number | undefined): number | undefined {
  return v !== undefined && v > 0 ? Math.log10(v) : undefined;
}

function mean(values: readonly number[], fallback: number): number {
  return values.length === 0 ? fallback : values.reduce((a, v) => a + v, 0) / values.length;
}

interface Lookup {
  readonly backbones: ReadonlyMap<string, BackboneTraits>;
  readonly targets: ReadonlyMap<string, TargetTraits>;
  readonly signals: SignalIndex;
}

function lookup(evidence: Pick<Evidence, 'backbones' | 'targets' | 'signals'>): Lookup {
  return {
    backbones: new Map(evidence.backbones.map((b) => [b.id, b])),
    targets: new Map(evidence.targets.map((t) => [t.id, t])),
    signals: indexSignals(evidence.signals),
  };
}

/**
 * The track-record indicator of a backbone: its own context's when it has one there, else the average
 * of its contexts (a backbone ranked among new competitors keeps what it showed elsewhere).
 */
function trackIndicators(enc: Pick<Encoding, 'tracks'>, backboneId: string, context: string | undefined): number[] {
  const own = enc.tracks.map((t) => t.backbone === backboneId && t.context === context);
  if (own.some(Boolean)) return own.map((v) => (v ? 1 : 0));
  const mine = enc.tracks.filter((t) => t.backbone === backboneId).length;
  return enc.tracks.map((t) => (t.backbone === backboneId ? 1 / mine : 0));
}

export function contextOf(study: string, candidateSet: string): string {
  return `${study}/${candidateSet}`;
}

/** Uncentred, unscaled values of every column but the signals for one pair. */
function rawColumns(
  enc: Omit<Encoding, 'columns' | 'scale'>,
  backboneId: string,
  backbone: BackboneTraits | undefined,
  target: TargetTraits | undefined,
  context: string | undefined,
): number[] {
  const size = log10OrUndefined(backbone?.sourceImages) ?? enc.meanLog10Images;
  const natural = backbone?.origin === undefined ? enc.meanNatural : backbone.origin === 'natural' ? 1 : 0;
  const grey = target?.colour === 'grey' ? 1 : 0;
  const targetSize = log10OrUndefined(target?.images) ?? enc.meanTargetLog10Images;
  return [
    ...trackIndicators(enc, backboneId, context),
    size,
    natural,
    ...enc.architectures.map((a) => (backbone?.architecture === a ? 1 : 0)),
    ...enc.modalities.map((m) => (backbone?.modality === m ? 1 : 0)),
    sameModality(backbone?.modality, target?.modality) ? 1 : 0,
    natural * grey,
    (backbone?.colour === 'grey' ? 1 : 0) * grey,
    size * grey,
    size * targetSize,
  ];
}

/** Signal values z-scored among the candidates that have them (missing: 0, the group average), sign-flipped so higher predicts better. */
function signalColumns(
  enc: Pick<Encoding, 'signals'>,
  look: Lookup,
  candidates: readonly string[],
  target: string,
): number[][] {
  const out = candidates.map(() => new Array<number>(enc.signals.length).fill(0));
  enc.signals.forEach((signal, j) => {
    const sign = look.signals.directions.get(signal) === 'lower' ? -1 : 1;
    const raw = candidates.map((b) => look.signals.value(signal, look.backbones.get(b), b, target));
    const present = raw.filter((v): v is number => v !== undefined);
    if (present.length < 2) return;
    const m = mean(present, 0);
    const sd = Math.sqrt(present.reduce((a, v) => a + (v - m) ** 2, 0) / (present.length - 1));
    if (!(sd > 0)) return;
    raw.forEach((v, i) => {
      if (v !== undefined) out[i]![j] = (sign * (v - m)) / sd;
    });
  });
  return out;
}

/** Group-centred rows for the candidates of one target; the scale is applied by the caller. */
function centredRows(
  enc: Omit<Encoding, 'columns' | 'scale'>,
  look: Lookup,
  target: string,
  candidates: readonly string[],
  context: string | undefined,
): number[][] {
  const traits = look.targets.get(target);
  const signals = signalColumns(enc, look, candidates, target);
  const rows = candidates.map((b, i) => [
    ...rawColumns(enc, b, look.backbones.get(b), traits, context),
    ...signals[i]!,
  ]);
  const width = rows[0]?.length ?? 0;
  for (let j = 0; j < width; j++) {
    const m = rows.reduce((a, r) => a + r[j]!, 0) / rows.length;
    for (const r of rows) r[j]! -= m;
  }
  return rows;
}

function buildEncoding(
  groups: readonly Group[],
  look: Lookup,
  options: RankerOptions,
): {
  enc: Encoding;
  rows: number[][];
  y: number[];
  rowTargets: string[];
  rowGroups: string[];
  rowContexts: string[];
  noise: RowNoise[];
} {
  const minGroups = options.minSignalGroups ?? 2;
  const minPairs = options.minSignalPairs ?? 10;
  const backboneIds = [...new Set(groups.flatMap((g) => g.backbones))].sort();
  const known = backboneIds.map((b) => look.backbones.get(b)).filter((b): b is BackboneTraits => b !== undefined);
  const signals = [...look.signals.directions.keys()].sort().filter((signal) => {
    let covered = 0;
    let pairs = 0;
    for (const g of groups) {
      const n = g.backbones.filter(
        (b) => look.signals.value(signal, look.backbones.get(b), b, g.target) !== undefined,
      ).length;
      if (n >= 2) {
        covered++;
        pairs += n;
      }
    }
    return covered >= minGroups && pairs >= minPairs;
  });
  const trackKeys = [
    ...new Set(groups.flatMap((g) => g.backbones.map((b) => `${contextOf(g.study, g.candidateSet)}\u0000${b}`))),
  ].sort();
  const base = {
    tracks: trackKeys.map((k) => {
      const [context, backbone] = k.split('\u0000') as [string, string];
      return { context, backbone };
    }),
    architectures: [...new Set(known.flatMap((b) => (b.architecture ? [b.architecture] : [])))].sort(),
    modalities: [...new Set(known.flatMap((b) => (b.modality ? [b.modality] : [])))].sort(),
    signals,
    meanLog10Images: mean(
      known.flatMap((b) => {
        const v = log10OrUndefined(b.sourceImages);
        return v === undefined ? [] : [v];
      }),
      0,
    ),
    meanNatural: mean(
      known.flatMap((b) => (b.origin === undefined ? [] : [b.origin === 'natural' ? 1 : 0])),
      0,
    ),
    meanTargetLog10Images: mean(
      [...new Set(groups.map((g) => g.target))].flatMap((t) => {
        const v = log10OrUndefined(look.targets.get(t)?.images);
        return v === undefined ? [] : [v];
      }),
      0,
    ),
  };
  const columns: Column[] = [
    ...base.tracks.map((t) => ({ name: `${t.backbone} in ${t.context}`, kind: 'backbone' as const })),
    { name: 'source size (log10 images)', kind: 'trait' },
    { name: 'natural source', kind: 'trait' },
    ...base.architectures.map((a) => ({ name: `architecture ${a}`, kind: 'trait' as const })),
    ...base.modalities.map((m) => ({ name: `source modality ${m}`, kind: 'trait' as const })),
    ...INTERACTIONS.map((name) => ({ name, kind: 'interaction' as const })),
    ...signals.map((s) => ({ name: s, kind: 'signal' as const })),
  ];
  const rows: number[][] = [];
  const y: number[] = [];
  const rowTargets: string[] = [];
  const rowGroups: string[] = [];
  const rowContexts: string[] = [];
  const noise: RowNoise[] = [];
  const medianSpread = new Map(
    [...new Set(groups.map((g) => g.study))].map((study) => {
      const spreads = groups
        .filter((g) => g.study === study)
        .flatMap((g) => g.spreads.filter((v): v is number => v !== undefined))
        .sort((a, b) => a - b);
      return [study, spreads.length > 0 ? spreads[Math.floor(spreads.length / 2)]! : undefined] as const;
    }),
  );
  for (const g of groups) {
    rows.push(...centredRows(base, look, g.target, g.backbones, contextOf(g.study, g.candidateSet)));
    y.push(...g.z);
    rowTargets.push(...g.backbones.map(() => g.target));
    rowGroups.push(...g.backbones.map(() => g.key));
    rowContexts.push(...g.backbones.map(() => contextOf(g.study, g.candidateSet)));
    const typical = medianSpread.get(g.study);
    noise.push(
      ...g.spreads.map((spread) => ({
        perUnit: 1 / g.sd,
        relativeSpread: spread !== undefined && typical !== undefined ? spread / typical : 1,
      })),
    );
  }
  // Traits and interactions are put on one scale so one prior precision suits them all; backbone
  // indicators and signals (already z-scores) keep theirs.
  const scale = columns.map((c, j) => {
    if (c.kind === 'backbone' || c.kind === 'signal') return 1;
    const sd = Math.sqrt(rows.reduce((a, r) => a + r[j]! ** 2, 0) / Math.max(1, rows.length));
    return sd > 1e-9 ? sd : 1;
  });
  for (const r of rows) for (let j = 0; j < r.length; j++) r[j]! /= scale[j]!;
  return { enc: { ...base, columns, scale }, rows, y, rowTargets, rowGroups, rowContexts, noise };
}

function priorPrecisions(columns: readonly Column[], hyper: RankerHyper): number[] {
  const precision: Record<ColumnKind, number> = {
    backbone: hyper.backbonePrecision,
    trait: hyper.traitPrecision,
    interaction: hyper.interactionPrecision,
    signal: hyper.signalPrecision,
  };
  return columns.map((c) => precision[c.kind]);
}

/** What a row's measurement noise depends on: z units per metric unit (1/s_g) and its relative spread r. */
interface RowNoise {
  readonly perUnit: number;
  readonly relativeSpread: number;
}

/** σ² + (η·r^p / s_g)²: the noise variance of one observed z. */
function rowVariance(hyper: RankerHyper, n: RowNoise): number {
  const measurement = hyper.measurementNoise * n.relativeSpread ** hyper.spreadExponent * n.perUnit;
  return hyper.noiseVariance + measurement * measurement;
}

/** The noise variance assumed for a target whose results are unknown: the median over the training pairs. */
function typicalVariance(hyper: RankerHyper, noise: readonly RowNoise[]): number {
  if (noise.length === 0) return hyper.noiseVariance;
  const sorted = noise.map((n) => rowVariance(hyper, n)).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Statistics {
  /** X'WX and X'Wy, W the inverse noise variances. */
  readonly xtx: Matrix;
  readonly xty: Matrix;
}

function statistics(
  rows: readonly (readonly number[])[],
  y: readonly number[],
  variances: readonly number[],
  width: number,
): Statistics {
  if (rows.length === 0) return { xtx: Matrix.zeros(width, width), xty: Matrix.zeros(width, 1) };
  // Rows scaled by the square root of their weight, so X'WX comes out exactly symmetric.
  const root = variances.map((v) => 1 / Math.sqrt(v));
  const Xs = new Matrix(rows.map((r, i) => r.map((v) => v * root[i]!)));
  const Xst = Xs.transpose();
  return { xtx: Xst.mmul(Xs), xty: Xst.mmul(Matrix.columnVector(y.map((v, i) => v * root[i]!))) };
}

interface Posterior {
  readonly mean: Matrix;
  readonly cholesky: CholeskyDecomposition;
}

/** Posterior precision X'WX + diag(prior), mean (precision)⁻¹ X'Wy. */
function posterior(stats: Statistics, prior: readonly number[]): Posterior {
  const A = stats.xtx.clone();
  prior.forEach((p, j) => A.set(j, j, A.get(j, j) + p));
  const cholesky = new CholeskyDecomposition(A);
  if (!cholesky.isPositiveDefinite()) throw new Error('posterior precision is not positive definite');
  return { mean: cholesky.solve(stats.xty), cholesky };
}

/**
 * Predictive mean and variance x'm and x'Σx + noise for each row; with Σ⁻¹ = LL', x'Σx is the squared
 * norm of L⁻¹x, one forward substitution per row.
 */
function predictRows(
  post: Posterior,
  rows: readonly (readonly number[])[],
  noise: readonly number[],
): { mean: number; variance: number }[] {
  if (rows.length === 0) return [];
  const L = post.cholesky.lowerTriangularMatrix.to2DArray();
  const m = post.mean.getColumn(0);
  const solved = new Float64Array(m.length);
  return rows.map((r, i) => {
    let mean = 0;
    let quad = 0;
    for (let a = 0; a < m.length; a++) {
      const La = L[a]!;
      let v = r[a]!;
      for (let b = 0; b < a; b++) v -= La[b]! * solved[b]!;
      solved[a] = v / La[a]!;
      quad += solved[a]! * solved[a]!;
      mean += r[a]! * m[a]!;
    }
    return { mean, variance: quad + noise[i]! };
  });
}

const HYPER_KEYS = [
  'backbonePrecision',
  'traitPrecision',
  'interactionPrecision',
  'signalPrecision',
  'noiseVariance',
  'measurementNoise',
  'spreadExponent',
] as const;

/**
 * Leave one training target out at a time; a fold's statistics are the total minus the held-out
 * target's, so the cost per configuration is one Cholesky factorisation per fold (the statistics are
 * recomputed only when the noise model changes). The grid is searched one hyper-parameter at a time
 * from its middle, sweeping until no single change improves the score: a few dozen configurations
 * instead of the whole product.
 */
function crossValidate(
  enc: Encoding,
  rows: number[][],
  y: number[],
  rowTargets: string[],
  rowGroups: string[],
  rowContexts: string[],
  noise: readonly RowNoise[],
  grid: HyperGrid,
): { hyper: RankerHyper; summary: CrossValidationSummary; calibration: VarianceCalibration } | null {
  const targets = [...new Set(rowTargets)].sort();
  if (targets.length < 3 || HYPER_KEYS.every((key) => grid[key].length === 1)) return null;
  const width = enc.columns.length;
  const heldRows = targets.map((t) => rows.flatMap((_, i) => (rowTargets[i] === t ? [i] : [])));
  const foldCache = new Map<string, { stats: Statistics; variances: number[] }[]>();
  const foldsFor = (hyper: RankerHyper) => {
    const key = [hyper.noiseVariance, hyper.measurementNoise, hyper.spreadExponent].join(',');
    const cached = foldCache.get(key);
    if (cached !== undefined) return cached;
    const variances = noise.map((n) => rowVariance(hyper, n));
    const total = statistics(rows, y, variances, width);
    const folds = heldRows.map((held) => {
      const heldStats = statistics(
        held.map((i) => rows[i]!),
        held.map((i) => y[i]!),
        held.map((i) => variances[i]!),
        width,
      );
      return {
        stats: { xtx: total.xtx.clone().sub(heldStats.xtx), xty: total.xty.clone().sub(heldStats.xty) },
        variances: held.map((i) => variances[i]!),
      };
    });
    foldCache.set(key, folds);
    return folds;
  };
  /** Each row's prediction from the fold that holds it out, fold by fold. */
  const heldOut = (hyper: RankerHyper): { row: number; mean: number; variance: number }[] => {
    const prior = priorPrecisions(enc.columns, hyper);
    return foldsFor(hyper).flatMap((fold, f) => {
      const held = heldRows[f]!;
      return predictRows(
        posterior(fold.stats, prior),
        held.map((i) => rows[i]!),
        fold.variances,
      ).map((p, i) => ({ row: held[i]!, mean: p.mean, variance: p.variance }));
    });
  };
  const scores = new Map<string, number>();
  const score = (hyper: RankerHyper): number => {
    const key = HYPER_KEYS.map((k) => hyper[k]).join(',');
    const known = scores.get(key);
    if (known !== undefined) return known;
    let nlpd = 0;
    const predicted = heldOut(hyper);
    for (const { row, mean, variance } of predicted)
      nlpd += 0.5 * Math.log(2 * Math.PI * variance) + (y[row]! - mean) ** 2 / (2 * variance);
    scores.set(key, nlpd / predicted.length);
    return nlpd / predicted.length;
  };
  /** Held-out predicted means, for the ranking criterion. */
  const heldOutMeans = (hyper: RankerHyper): number[] => {
    const means = new Array<number>(rows.length).fill(0);
    for (const { row, mean } of heldOut(hyper)) means[row] = mean;
    return means;
  };
  const groupRows = [...new Set(rowGroups)].map((g) => rows.flatMap((_, i) => (rowGroups[i] === g ? [i] : [])));
  const rankingScore = (hyper: RankerHyper): number => {
    const means = heldOutMeans(hyper);
    const taus = groupRows.map(
      (idx) =>
        weightedTau(
          idx.map((i) => means[i]!),
          idx.map((i) => y[i]!),
        ) ?? 0,
    );
    return taus.reduce((a, v) => a + v, 0) / taus.length;
  };
  /**
   * The held-out predictions of the chosen configuration, with the noise variance a target not yet
   * measured gets (the training pairs' median), as a new target's prediction has it: the mean squared
   * standardised error per context is how much wider its intervals must be to cover what they claim.
   */
  const calibrate = (hyper: RankerHyper): VarianceCalibration => {
    const prior = priorPrecisions(enc.columns, hyper);
    const typical = typicalVariance(hyper, noise);
    const squared = foldsFor(hyper).flatMap((fold, f) => {
      const held = heldRows[f]!;
      return predictRows(
        posterior(fold.stats, prior),
        held.map((i) => rows[i]!),
        held.map(() => typical),
      ).map((p, i) => ({ row: held[i]!, z2: (y[held[i]!]! - p.mean) ** 2 / p.variance }));
    });
    const pooled = mean(
      squared.map((q) => q.z2),
      1,
    );
    const contexts: Record<string, number> = {};
    for (const context of [...new Set(rowContexts)].sort()) {
      const mine = squared.filter((q) => rowContexts[q.row] === context);
      if (new Set(mine.map((q) => rowTargets[q.row])).size >= MIN_CALIBRATION_TARGETS)
        contexts[context] = mean(
          mine.map((q) => q.z2),
          pooled,
        );
    }
    return { pooled, contexts };
  };
  const middle = (values: readonly number[]) => values[Math.floor((values.length - 1) / 2)]!;
  /**
   * Coordinate descent on the predictive density over the keys a family leaves free, from the middle
   * of each range, so each family's choice is its own and not the path the search took.
   */
  const search = (fixed: Partial<RankerHyper>): { hyper: RankerHyper; score: number } => {
    const free = HYPER_KEYS.filter((k) => !(k in fixed));
    let best = {
      ...(Object.fromEntries(HYPER_KEYS.map((k) => [k, middle(grid[k])])) as unknown as RankerHyper),
      ...fixed,
    };
    let bestScore = score(best);
    for (let improved = true; improved;) {
      improved = false;
      for (const key of free) {
        for (const value of grid[key]) {
          const candidate = { ...best, [key]: value };
          const s = score(candidate);
          if (s < bestScore - 1e-12) {
            best = candidate;
            bestScore = s;
            improved = true;
          }
        }
      }
    }
    return { hyper: best, score: bestScore };
  };
  const present = new Set(enc.columns.map((c) => c.kind));
  const families: (FamilyScore & { hyper: RankerHyper })[] = [];
  for (const family of MODEL_FAMILIES) {
    const parts = FAMILY_PARTS[family];
    // A family that adds only parts this evidence has no columns for is the one before it.
    if (families.length > 0 && !parts.some((k) => present.has(k) && !FAMILY_PARTS[families.at(-1)!.family].includes(k)))
      continue;
    const fixed = Object.fromEntries(
      (['interaction', 'signal'] as const).filter((k) => !parts.includes(k)).map((k) => [PRECISION_KEY[k], OFF]),
    ) as Partial<RankerHyper>;
    const found = search(fixed);
    families.push({ family, hyper: found.hyper, score: found.score, weightedTau: rankingScore(found.hyper) });
  }
  const chosen = families.reduce((a, f) => (f.weightedTau > a.weightedTau + 1e-9 ? f : a));
  return {
    hyper: chosen.hyper,
    calibration: calibrate(chosen.hyper),
    summary: {
      scheme: 'leave-one-target-out',
      criterion: 'mean negative log predictive density',
      familyCriterion: 'mean weighted tau of held-out rankings; the simpler family on ties',
      family: chosen.family,
      families: families.map(({ family, score, weightedTau }) => ({ family, score, weightedTau })),
      folds: targets.length,
      configurations: scores.size,
      score: chosen.score,
    },
  };
}

function trackRecords(groups: readonly Group[]): Record<string, MeasuredOn[]> {
  const record: Record<string, MeasuredOn[]> = {};
  for (const g of groups) {
    const order = g.z.map((_, i) => i).sort((a, b) => g.z[b]! - g.z[a]!);
    order.forEach((i, position) => {
      (record[g.backbones[i]!] ??= []).push({
        study: g.study,
        candidateSet: g.candidateSet,
        target: g.target,
        z: g.z[i]!,
        rank: position + 1,
        of: g.backbones.length,
      });
    });
  }
  return record;
}

/**
 * Fits the ranker to every group of the evidence. Hyper-parameters come from leave-one-target-out
 * cross-validation over the evidence's own targets (`grid` with one value each fixes them).
 */
export function fitBackboneRanker(evidence: Evidence, options: RankerOptions = {}): BackboneRanker {
  const groups = groupObservations(evidence.observations);
  if (groups.length === 0)
    throw invalid('the ranker needs at least one target with two or more differing results', [
      { field: 'observations', message: 'no comparable results' },
    ]);
  const look = lookup(evidence);
  const { enc, rows, y, rowTargets, rowGroups, rowContexts, noise } = buildEncoding(groups, look, options);
  const grid = options.grid ?? DEFAULT_GRID;
  const chosen = crossValidate(enc, rows, y, rowTargets, rowGroups, rowContexts, noise, grid);
  const hyper =
    chosen?.hyper ?? (Object.fromEntries(HYPER_KEYS.map((k) => [k, grid[k][0]!])) as unknown as RankerHyper);
  const post = posterior(
    statistics(
      rows,
      y,
      noise.map((n) => rowVariance(hyper, n)),
      enc.columns.length,
    ),
    priorPrecisions(enc.columns, hyper),
  );
  const covariance = post.cholesky.solve(Matrix.eye(enc.columns.length));
  return {
    hyper,
    predictiveNoiseVariance: typicalVariance(hyper, noise),
    varianceCalibration: chosen?.calibration ?? { pooled: 1, contexts: {} },
    encoding: enc,
    posteriorMean: post.mean.getColumn(0),
    posteriorCovariance: covariance.to2DArray(),
    crossValidation: chosen?.summary ?? null,
    training: { groups: groups.length, pairs: rows.length, targets: [...new Set(rowTargets)].sort() },
    record: trackRecords(groups),
    targetTraits: Object.fromEntries(evidence.targets.map((t) => [t.id, t])),
  };
}

function targetDistance(a: TargetTraits | undefined, b: TargetTraits | undefined): number {
  if (a === undefined || b === undefined) return Number.POSITIVE_INFINITY;
  const differ = <T>(x: T | undefined, y: T | undefined) =>
    x === undefined || y === undefined ? 0.5 : x === y ? 0 : 1;
  const logGap = (x: number | undefined, y: number | undefined) => {
    const lx = log10OrUndefined(x);
    const ly = log10OrUndefined(y);
    return lx === undefined || ly === undefined ? 0.5 : Math.abs(lx - ly);
  };
  return (
    differ(a.modality, b.modality) +
    differ(a.colour, b.colour) +
    logGap(a.classes, b.classes) +
    logGap(a.images, b.images)
  );
}

/** Its results on other targets: in the requested context when it has any there, else everywhere. */
function evidenceFor(
  model: BackboneRanker,
  backbone: string,
  target: string,
  traits: TargetTraits | undefined,
  context: string | undefined,
): BackboneEvidence {
  const elsewhere = (model.record[backbone] ?? []).filter((m) => m.target !== target);
  const inContext = elsewhere.filter((m) => contextOf(m.study, m.candidateSet) === context);
  const measured = inContext.length > 0 ? inContext : elsewhere;
  const wins = measured.filter((m) => m.rank === 1).length;
  const beaten = measured.reduce((a, m) => a + (m.of - m.rank), 0);
  const compared = measured.reduce((a, m) => a + (m.of - 1), 0);
  const similarTargets = measured
    .map((m) => ({ ...m, distance: targetDistance(traits, model.targetTraits[m.target]) }))
    .sort((a, b) => a.distance - b.distance || a.target.localeCompare(b.target))
    .slice(0, 3);
  return {
    targetsMeasured: new Set(measured.map((m) => m.target)).size,
    groupsMeasured: measured.length,
    wins,
    winRate: measured.length > 0 ? wins / measured.length : null,
    pairwiseWinRate: compared > 0 ? beaten / compared : null,
    meanZ:
      measured.length > 0
        ? mean(
            measured.map((m) => m.z),
            0,
          )
        : null,
    similarTargets,
  };
}

export interface RankRequest {
  readonly target: TargetTraits;
  readonly candidates: readonly BackboneTraits[];
  /** Pair signals known for this target (others are ignored). */
  readonly signals?: Evidence['signals'];
  /** The study and candidate set whose track record applies; without it, each backbone's contexts are averaged. */
  readonly context?: { readonly study: string; readonly candidateSet: string };
}

/**
 * Predicts, for each candidate, its z-score among the candidates on this target, with predictive
 * intervals, the parts that make up the prediction and the evidence behind it. Needs two or more
 * candidates: the model only knows how backbones compare.
 */
export function rankBackbones(model: BackboneRanker, request: RankRequest): BackbonePrediction[] {
  const ids = request.candidates.map((c) => c.id);
  if (ids.length < 2)
    throw invalid('ranking needs at least two candidate backbones', [{ field: 'candidates', message: 'at least two' }]);
  if (new Set(ids).size !== ids.length)
    throw invalid('candidate backbones must be distinct', [{ field: 'candidates', message: 'duplicate backbone' }]);
  const look = lookup({
    backbones: request.candidates,
    targets: [request.target],
    signals: (request.signals ?? []).filter((s) => s.target === request.target.id),
  });
  const enc = model.encoding;
  const context =
    request.context === undefined ? undefined : contextOf(request.context.study, request.context.candidateSet);
  const rows = centredRows(enc, look, request.target.id, ids, context).map((r) => r.map((v, j) => v / enc.scale[j]!));
  const signalValues = ids.map((b) =>
    enc.signals.map((s) => look.signals.value(s, look.backbones.get(b), b, request.target.id) ?? null),
  );
  const weights = model.posteriorMean;
  const covariance = model.posteriorCovariance;
  const calibration = model.varianceCalibration;
  const inflation = (context === undefined ? undefined : calibration.contexts[context]) ?? calibration.pooled;
  return ids.map((backbone, i) => {
    const row = rows[i]!;
    let variance = model.predictiveNoiseVariance;
    for (let a = 0; a < row.length; a++) {
      if (row[a] === 0) continue;
      for (let b = 0; b < row.length; b++) variance += row[a]! * covariance[a]![b]! * row[b]!;
    }
    variance *= inflation;
    const effect = (j: number) => weights[j]! * row[j]!;
    let trackRecord = 0;
    let traits = 0;
    const interactions: { name: string; effect: number }[] = [];
    const signals: { signal: string; value: number | null; effect: number }[] = [];
    enc.columns.forEach((c, j) => {
      if (c.kind === 'backbone') trackRecord += effect(j);
      else if (c.kind === 'trait') traits += effect(j);
      else if (c.kind === 'interaction') interactions.push({ name: c.name, effect: effect(j) });
      else signals.push({ signal: c.name, value: signalValues[i]![enc.signals.indexOf(c.name)]!, effect: effect(j) });
    });
    const m =
      trackRecord + traits + interactions.reduce((a, x) => a + x.effect, 0) + signals.reduce((a, x) => a + x.effect, 0);
    const sd = Math.sqrt(variance);
    return {
      backbone,
      target: request.target.id,
      scale: 'z-within-group' as const,
      mean: m,
      sd,
      interval80: [m - Z80 * sd, m + Z80 * sd] as const,
      interval90: [m - Z90 * sd, m + Z90 * sd] as const,
      explanation: { trackRecord, traits, interactions, signals },
      evidence: evidenceFor(model, backbone, request.target.id, request.target, context),
    };
  });
}
