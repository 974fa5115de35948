/**
 * Recommendations for a registered target: the current ranker's predictions for each candidate
 * source, measured transferability first where it exists, with the backbone the registry names.
 */
import type { Knex } from 'knex';
import type { Db } from './session.js';
import { notFound } from '../errors.js';
import { getProbe } from '../store/index.js';
import { recommendSources, type Recommendation } from '../ranking/index.js';
import { currentRanker, type FittedRanker, type RankerSetup } from './ranker.js';

export interface RecommendationRequest extends RankerSetup {
  readonly target: string;
  /** Sources to rank; by default every dataset that is a source of a stored result or has a backbone. */
  readonly candidates?: readonly string[];
  readonly topK?: number;
}

export interface EmbeddingStatus {
  readonly probe: string | null;
  readonly available: boolean;
  /** Set when the target has no embedding under the probe: what that costs and how to get one. */
  readonly message?: string;
}

export interface RecommendedSource extends Recommendation {
  readonly backbone: string | null;
}

export interface RecommendationResult {
  readonly target: string;
  readonly embedding: EmbeddingStatus;
  readonly ranker: FittedRanker;
  readonly items: readonly RecommendedSource[];
}

async function embeddingStatus(db: Knex, fitted: FittedRanker, target: string): Promise<EmbeddingStatus> {
  const probe = fitted.probe;
  if (probe === null) {
    return { probe: null, available: false, message: `no dataset has a Task2Vec embedding yet, so no prediction uses one; compute one with \`transfer-atlas embed ${target}\`` };
  }
  if (probe.datasets.includes(target)) return { probe: probe.id, available: true };
  const held = (await getProbe(db, probe.id))?.location !== undefined;
  return {
    probe: probe.id,
    available: false,
    message: held
      ? `'${target}' has no Task2Vec embedding under probe '${probe.name}', so predictions use the other signals only; compute one with \`transfer-atlas embed ${target} --probe ${probe.id.slice(0, 12)}\``
      : `'${target}' has no Task2Vec embedding under probe '${probe.name}', the probe of the sources' embeddings, whose weights this service does not hold; predictions use the other signals only (register the probe's folder with \`transfer-atlas probes add\` to embed under it)`,
  };
}

function defaultCandidates(fitted: FittedRanker): string[] {
  const sources = new Set(fitted.observations.map((o) => o.source));
  for (const d of fitted.signals.datasets) if (d.backbone !== undefined) sources.add(d.id);
  return [...sources].sort();
}

/** `fitted`: a ranker the caller already holds for this evidence (the serving cache); fetched or fitted otherwise. */
export async function recommend(db: Db, request: RecommendationRequest, fitted?: FittedRanker): Promise<RecommendationResult> {
  fitted ??= await currentRanker(db, request);
  const datasets = new Map(fitted.signals.datasets.map((d) => [d.id, d]));
  if (!datasets.has(request.target)) throw notFound('dataset', request.target, 'target');
  for (const c of request.candidates ?? []) if (!datasets.has(c)) throw notFound('dataset', c, 'candidates');
  const measured = fitted.observations.filter((o) => o.target === request.target);
  const ranked = recommendSources(fitted.model, fitted.context, {
    target: request.target,
    candidates: request.candidates ?? defaultCandidates(fitted),
    measured,
    ...(request.topK !== undefined ? { topK: request.topK } : {}),
  });
  return {
    target: request.target,
    embedding: await embeddingStatus(db.knex, fitted, request.target),
    ranker: fitted,
    items: ranked.map((r) => ({ ...r, backbone: datasets.get(r.source)?.backbone ?? null })),
  };
}
