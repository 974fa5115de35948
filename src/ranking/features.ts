/**
 * Features of a (source, target) pair for the learned ranker. Any of them may be missing (no embedding
 * under a probe, no expert answers, unknown size); the ranker imputes and flags them, and every
 * prediction lists which signals it actually had.
 */
import { indexDistances, resolveDistance, type DistanceIndex, type DistanceProxy, type PairDistance } from './distances.js';

export interface DatasetTraits {
  readonly id: string;
  readonly images?: number;
  readonly classes?: number;
  readonly origin?: 'natural' | 'medical';
  readonly colour?: 'grey' | 'colour';
}

export interface FeatureContext {
  readonly traits: ReadonlyMap<string, DatasetTraits>;
  readonly distances: DistanceIndex;
  readonly proxy?: DistanceProxy;
}

export function featureContext(traits: readonly DatasetTraits[], distances: readonly PairDistance[], proxy?: DistanceProxy): FeatureContext {
  return { traits: new Map(traits.map((p) => [p.id, p])), distances: indexDistances(distances), ...(proxy ? { proxy } : {}) };
}

/** Dataset properties that enter the model, for the source and for the target of a pair. */
const PROFILE_FEATURES = ['log10Images', 'log10Classes', 'natural', 'colour'] as const;
/** Whether source and target agree, which a purely additive model could not express otherwise. */
const AGREEMENT_FEATURES = ['pair.sameOrigin', 'pair.sameColour'] as const;

export function distanceFeature(signal: string): string {
  return `distance:${signal}`;
}

/** Base feature names, in model column order, for the given distance signals. */
export function featureNames(distanceSignals: readonly string[]): string[] {
  return [
    ...distanceSignals.map(distanceFeature),
    ...PROFILE_FEATURES.map((f) => `source.${f}`),
    ...PROFILE_FEATURES.map((f) => `target.${f}`),
    ...AGREEMENT_FEATURES,
  ];
}

function positiveLog10(v: number | undefined): number | undefined {
  return v !== undefined && v > 0 ? Math.log10(v) : undefined;
}

function traitValues(p: DatasetTraits | undefined): (number | undefined)[] {
  return [
    positiveLog10(p?.images),
    positiveLog10(p?.classes),
    p?.origin === undefined ? undefined : p.origin === 'natural' ? 1 : 0,
    p?.colour === undefined ? undefined : p.colour === 'colour' ? 1 : 0,
  ];
}

function agree<T>(a: T | undefined, b: T | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a === b ? 1 : 0;
}

/** Raw feature values (undefined where missing) in the order of featureNames(distanceSignals). */
export function pairFeatures(context: FeatureContext, distanceSignals: readonly string[], source: string, target: string): (number | undefined)[] {
  const s = context.traits.get(source);
  const t = context.traits.get(target);
  return [
    ...distanceSignals.map((signal) => resolveDistance(context.distances, signal, source, target, context.proxy)?.value),
    ...traitValues(s),
    ...traitValues(t),
    agree(s?.origin, t?.origin),
    agree(s?.colour, t?.colour),
  ];
}
