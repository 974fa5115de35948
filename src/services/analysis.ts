/**
 * The correlation analysis over what the store holds: every distance signal against the measured
 * transferability of every (source, target) pair.
 */
import type { Db } from './session.js';
import { notFound } from '../errors.js';
import { analyseCorrelations, type CorrelationAnalysis, type DistanceProxy } from '../ranking/index.js';
import { embeddingProxy, loadSignals, parseProxy } from './signals.js';
import { observedPairs } from './transferability.js';
import { definedOnly } from '../defaults.js';

export interface AnalysisOptions {
  /** `missing=stand-in` mappings for embedding signals, off by default. */
  readonly proxy?: readonly string[];
  readonly architecture?: string;
}

/** Checks a proxy's datasets exist and scopes it to the embedding signals present. */
export function resolveProxy(
  specs: readonly string[] | undefined,
  known: ReadonlySet<string>,
  distances: Parameters<typeof embeddingProxy>[1],
): DistanceProxy | undefined {
  const map = parseProxy(specs ?? []);
  for (const [missing, standIn] of Object.entries(map)) {
    if (!known.has(missing)) throw notFound('dataset', missing, 'proxy');
    if (!known.has(standIn)) throw notFound('dataset', standIn, 'proxy');
  }
  return embeddingProxy(map, distances);
}

export async function correlationAnalysis(
  db: Db,
  options: AnalysisOptions = {},
): Promise<CorrelationAnalysis & { readonly pairs: number }> {
  const signals = await loadSignals(db);
  const proxy = resolveProxy(options.proxy, new Set(signals.datasets.map((d) => d.id)), signals.distances);
  const transferability = await observedPairs(db, options.architecture);
  const analysis = analyseCorrelations({
    transferability,
    distances: signals.distances,
    ...definedOnly({ proxy: proxy || undefined }),
  });
  return { ...analysis, pairs: transferability.length };
}
