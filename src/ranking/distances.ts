/**
 * Pairwise distance signals ("task2vec:resnet50", "expert", ...) and their lookup, including the
 * documented proxy the study used: a dataset without an embedding borrows another's (ImageNet -> STL-10).
 */

export interface PairDistance {
  readonly signal: string;
  readonly source: string;
  readonly target: string;
  readonly value: number;
}

/** Stand-ins for datasets that lack a distance, e.g. `{ map: { imagenet: 'stl10' }, signals: ['task2vec'] }`. Off unless given. */
export interface DistanceProxy {
  readonly map: Readonly<Record<string, string>>;
  /** Signals the proxy applies to; all signals when omitted. */
  readonly signals?: readonly string[];
}

export interface ResolvedDistance {
  readonly value: number;
  /** Present when a proxy stood in: the pair whose distance was actually used. */
  readonly via?: { readonly source: string; readonly target: string };
}

export type DistanceIndex = ReadonlyMap<string, number>;

function key(signal: string, source: string, target: string): string {
  return JSON.stringify([signal, source, target]);
}

export function indexDistances(distances: readonly PairDistance[]): DistanceIndex {
  const index = new Map<string, number>();
  for (const d of distances) {
    if (!Number.isFinite(d.value)) throw new RangeError(`distance ${d.signal} ${d.source}->${d.target} is not finite`);
    index.set(key(d.signal, d.source, d.target), d.value);
  }
  return index;
}

export function distanceSignals(distances: readonly PairDistance[]): string[] {
  return [...new Set(distances.map((d) => d.signal))].sort();
}

/** A distance stored for (a, b) also answers (b, a) unless (b, a) is stored itself. */
function lookup(index: DistanceIndex, signal: string, source: string, target: string): number | undefined {
  return index.get(key(signal, source, target)) ?? index.get(key(signal, target, source));
}

export function resolveDistance(
  index: DistanceIndex,
  signal: string,
  source: string,
  target: string,
  proxy?: DistanceProxy,
): ResolvedDistance | undefined {
  const direct = lookup(index, signal, source, target);
  if (direct !== undefined) return { value: direct };
  if (proxy === undefined || (proxy.signals !== undefined && !proxy.signals.includes(signal))) return undefined;
  const s = proxy.map[source] ?? source;
  const t = proxy.map[target] ?? target;
  if (s === source && t === target) return undefined;
  const value = lookup(index, signal, s, t);
  return value === undefined ? undefined : { value, via: { source: s, target: t } };
}
