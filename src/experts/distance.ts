import { AppError, invalid } from '../errors.js';
import { EXPERT_PROPERTIES, type ExpertFeatures } from './vocabulary.js';

/** Number of questionnaire properties on which two datasets' expert features differ (0..6). */
export function hammingDistance(a: ExpertFeatures, b: ExpertFeatures): number {
  let d = 0;
  for (const p of EXPERT_PROPERTIES) if (a[p] !== b[p]) d += 1;
  return d;
}

/** A pairwise expert distance as a study published it, e.g. the cats-scans expert_distances.csv. */
export interface PublishedExpertDistance {
  readonly a: string;
  readonly b: string;
  readonly distance: number;
  /** Where the figure comes from, shown with every distance it supplies. */
  readonly source: string;
}

export type ExpertDistanceSource =
  { readonly kind: 'published'; readonly source: string } | { readonly kind: 'computed' };

export interface ExpertDistance {
  readonly a: string;
  readonly b: string;
  readonly distance: number;
  readonly from: ExpertDistanceSource;
}

const pairKey = (a: string, b: string): string => JSON.stringify(a < b ? [a, b] : [b, a]);

/**
 * Published distances by unordered pair: the Hamming distance is symmetric, so a figure published
 * for (target, source) also answers (source, target). Two different figures for one pair are a
 * contradiction in the data and are refused.
 */
export class PublishedExpertDistances {
  private readonly byPair = new Map<string, PublishedExpertDistance>();

  constructor(entries: Iterable<PublishedExpertDistance>) {
    for (const e of entries) {
      if (!Number.isInteger(e.distance) || e.distance < 0 || e.distance > EXPERT_PROPERTIES.length) {
        throw invalid(
          `published expert distance ${e.a}-${e.b} is ${e.distance}; a Hamming distance over ${EXPERT_PROPERTIES.length} properties is an integer 0..${EXPERT_PROPERTIES.length}`,
        );
      }
      const key = pairKey(e.a, e.b);
      const known = this.byPair.get(key);
      if (known !== undefined && known.distance !== e.distance) {
        throw invalid(
          `published expert distances disagree for ${e.a}-${e.b}: ${known.distance} (${known.source}) and ${e.distance} (${e.source})`,
        );
      }
      if (known === undefined) this.byPair.set(key, e);
    }
  }

  get(a: string, b: string): PublishedExpertDistance | undefined {
    return this.byPair.get(pairKey(a, b));
  }
}

/**
 * The expert distance between two datasets. A published figure takes precedence for its pair,
 * with its source; otherwise the Hamming distance between the datasets' voted features (a dataset
 * is at distance 0 from itself even before anyone has answered for it).
 */
export function expertDistance(
  a: string,
  b: string,
  features: ReadonlyMap<string, ExpertFeatures>,
  published: PublishedExpertDistances,
): ExpertDistance {
  const known = published.get(a, b);
  if (known === undefined && a === b) return { a, b, distance: 0, from: { kind: 'computed' } };
  if (known !== undefined) return { a, b, distance: known.distance, from: { kind: 'published', source: known.source } };
  const fa = features.get(a);
  const fb = features.get(b);
  if (fa === undefined || fb === undefined) {
    const missing = [fa === undefined ? a : null, fb === undefined ? b : null].filter((x): x is string => x !== null);
    throw new AppError(
      'unprocessable',
      'No expert features',
      `no published expert distance for ${a}-${b}, and no observer answers yet for ${missing.map((m) => `'${m}'`).join(' and ')}`,
    );
  }
  return { a, b, distance: hammingDistance(fa, fb), from: { kind: 'computed' } };
}

/**
 * Reads a `target,source,hamming_distance` CSV (the cats-scans study's expert_distances.csv)
 * into published distances attributed to `source`.
 */
export function parsePublishedExpertDistances(csv: string, source: string): PublishedExpertDistance[] {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim().length > 0);
  const header = lines[0]?.split(',').map((h) => h.trim());
  const iA = header?.indexOf('target') ?? -1;
  const iB = header?.indexOf('source') ?? -1;
  const iD = header?.indexOf('hamming_distance') ?? -1;
  if (iA < 0 || iB < 0 || iD < 0)
    throw invalid(
      `expert distances CSV needs the columns target, source, hamming_distance; found ${lines[0] ?? 'nothing'}`,
    );
  return lines.slice(1).map((line, k) => {
    const cells = line.split(',').map((c) => c.trim());
    const distance = Number(cells[iD]);
    const a = cells[iA] ?? '';
    const b = cells[iB] ?? '';
    if (a === '' || b === '' || cells[iD] === '' || !Number.isFinite(distance))
      throw invalid(`expert distances CSV line ${k + 2} is incomplete: '${line}'`);
    return { a, b, distance, source };
  });
}
