/**
 * Ranks candidate sources for a target. Measured transferability, where it exists, outranks the
 * model's guess for that pair; the prediction is still reported so the two can be compared.
 */
import type { PairValue } from './correlation-analysis.js';
import type { FeatureContext } from './features.js';
import { predictPair, type PairPrediction, type RankerModel } from './ranker.js';

export interface MeasuredPair extends PairValue {
  /** How many stored results the measured value averages. */
  readonly results?: number;
}

export interface Recommendation {
  readonly rank: number;
  readonly source: string;
  readonly basis: 'measured' | 'predicted';
  /** The value the ranking used: measured when available, else the predictive mean. */
  readonly score: number;
  readonly measured: MeasuredPair | null;
  readonly prediction: PairPrediction;
  readonly reason: string;
}

export interface RecommendRequest {
  readonly target: string;
  readonly candidates: readonly string[];
  readonly measured?: readonly MeasuredPair[];
  readonly topK?: number;
}

function signed(v: number): string {
  return `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`;
}

function reasonFor(p: PairPrediction, measured: MeasuredPair | null): string {
  if (measured !== null) {
    const count = measured.results !== undefined ? ` over ${measured.results} result${measured.results === 1 ? '' : 's'}` : '';
    return `measured transferability ${signed(measured.value)}${count}`;
  }
  // Effects below the 0.1 points the reason prints would read as "+0.0%": noise, not a driver.
  const drivers = p.contributions
    .filter((c) => Math.abs(c.effect) >= 0.05)
    .slice(0, 3)
    .map((c) => `${c.feature} ${signed(c.effect)}`);
  const missing = p.signalsMissing.length > 0 ? `; without ${p.signalsMissing.join(', ')}` : '';
  const moved = drivers.length > 0 ? `, ${drivers.join(', ')}` : ' (no feature moves it by 0.1 point)';
  return `predicted: average pair ${signed(p.baseline)}${moved}${missing}`;
}

export function recommendSources(model: RankerModel, context: FeatureContext, request: RecommendRequest): Recommendation[] {
  const measuredBySource = new Map<string, MeasuredPair>();
  for (const m of request.measured ?? []) if (m.target === request.target) measuredBySource.set(m.source, m);
  const candidates = [...new Set(request.candidates)].filter((c) => c !== request.target);
  const scored = candidates.map((source) => {
    const prediction = predictPair(model, context, source, request.target);
    const measured = measuredBySource.get(source) ?? null;
    return {
      source,
      basis: measured !== null ? ('measured' as const) : ('predicted' as const),
      score: measured !== null ? measured.value : prediction.mean,
      measured,
      prediction,
      reason: reasonFor(prediction, measured),
    };
  });
  scored.sort((a, b) => b.score - a.score || a.source.localeCompare(b.source));
  const limit = request.topK ?? scored.length;
  return scored.slice(0, limit).map((s, i) => ({ rank: i + 1, ...s }));
}
