/**
 * Recommendations served from memory. The fitted ranker and the evidence it reads (pair features,
 * distances) are kept per process under a stamp of the evidence tables, one cheap query; a read
 * whose stamp matches uses them as they are. Only a changed stamp loads the evidence again, and
 * the fit itself happens in the refit job that follows every ingestion and embedding (a read finds
 * the stored model by its training hash); answers for the same request are memoised.
 */
import type { Knex } from 'knex';
import { currentRanker, type FittedRanker, type RankerSetup } from './ranker.js';
import { recommend, type RecommendationRequest, type RecommendationResult } from './recommend.js';

/**
 * Changes whenever the evidence a ranker is fitted on changes: datasets, results and their
 * withdrawal, embeddings, probes, expert answers, published expert distances.
 */
export async function evidenceStamp(db: Knex): Promise<string> {
  const row = (await db
    .select(
      db.raw('(select count(*) from datasets) as d_n'),
      db.raw('(select max(updated_at) from datasets) as d_u'),
      db.raw('(select count(*) from transfer_runs) as r_n'),
      db.raw('(select count(withdrawn_at) from transfer_runs) as r_w'),
      db.raw('(select max(created_at) from transfer_runs) as r_c'),
      db.raw('(select count(*) from embeddings) as e_n'),
      db.raw('(select max(id) from embeddings) as e_m'),
      db.raw('(select count(*) from probes) as p_n'),
      db.raw('(select count(*) from expert_assessments) as x_n'),
      db.raw('(select max(id) from expert_assessments) as x_m'),
      db.raw('(select count(*) from published_expert_distances) as g_n'),
      db.raw('(select sum(distance) from published_expert_distances) as g_s'),
    )
    .first()) as Record<string, unknown>;
  return JSON.stringify(Object.values(row).map((v) => (v instanceof Date ? v.toISOString() : v === null ? null : String(v))));
}

/** Answers kept per evidence stamp; the oldest go first beyond this many. */
const MAX_ANSWERS = 2000;

export class RecommendationCache {
  private stamp = '';
  private readonly rankers = new Map<string, Promise<FittedRanker>>();
  private readonly answers = new Map<string, Promise<RecommendationResult>>();

  constructor(private readonly db: Knex) {}

  private async current(): Promise<void> {
    const stamp = await evidenceStamp(this.db);
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    this.rankers.clear();
    this.answers.clear();
  }

  private ranker(setup: RankerSetup): Promise<FittedRanker> {
    const key = JSON.stringify([setup.probe ?? null, setup.proxy ?? null, setup.architecture ?? null]);
    let found = this.rankers.get(key);
    if (!found) {
      found = currentRanker({ knex: this.db }, setup);
      this.rankers.set(key, found);
      found.catch(() => this.rankers.delete(key));
    }
    return found;
  }

  async recommend(request: RecommendationRequest): Promise<RecommendationResult> {
    await this.current();
    const key = JSON.stringify([request.target, request.candidates ?? null, request.topK ?? null, request.probe ?? null, request.proxy ?? null, request.architecture ?? null]);
    let answer = this.answers.get(key);
    if (!answer) {
      answer = this.ranker(request).then((fitted) => recommend({ knex: this.db }, request, fitted));
      if (this.answers.size >= MAX_ANSWERS) this.answers.delete(this.answers.keys().next().value!);
      this.answers.set(key, answer);
      answer.catch(() => this.answers.delete(key));
    }
    return answer;
  }
}
