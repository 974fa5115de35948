/**
 * Hot reads served from memory: recommendations and the dataset list are memoised per process under
 * a stamp of the evidence tables and the stored models, one cheap query. The fit itself happens in
 * the refit job that follows every ingestion and embedding (refitRanker); a read uses the latest
 * stored model. A memoised answer is shared by every caller and must not be changed.
 */
import type { Knex } from 'knex';
import { recommend, type RecommendationRequest, type RecommendationResult } from './recommend.js';
import { listDatasets, type DatasetFilter } from './datasets.js';
import type { Dataset } from '../registry/index.js';
import type { PageOf, PageRequest } from '../store/index.js';

/**
 * Changes whenever the evidence or the stored model changes: datasets, results and their
 * withdrawal, embeddings, probes, expert answers, published expert distances, pair signals,
 * studies, fitted models.
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
      db.raw('(select count(*) from pair_signals) as s_n'),
      db.raw('(select count(*) from studies) as st_n'),
      db.raw('(select max(updated_at) from studies) as st_u'),
      db.raw('(select count(*) from ranker_models) as m_n'),
      db.raw('(select max(created_at) from ranker_models) as m_c'),
    )
    .first()) as Record<string, unknown>;
  return JSON.stringify(
    Object.values(row).map((v) => (v instanceof Date ? v.toISOString() : v === null ? null : String(v))),
  );
}

/** Answers kept per evidence stamp; the oldest go first beyond this many. */
const MAX_ANSWERS = 2000;

const ignore = (): void => undefined;

/** The part of the stamp's trusted time after which the next stamp is queried ahead of need. */
const REFRESH_AHEAD = 0.75;

function stampReuseMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.TA_SERVING_STAMP_MS;
  const n = raw === undefined || raw.trim() === '' ? 250 : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : 250;
}

export class ServingCache {
  private stamp = '';
  private readonly answers = new Map<string, Promise<unknown>>();
  /** The stamp query in flight, and the one that starts when it ends. */
  private running: Promise<string> | undefined;
  private queued: Promise<string> | undefined;
  /** When the query behind the current stamp was asked for, and when this process last wrote. */
  private checkedAt = -Infinity;
  private lastChange = -Infinity;

  constructor(
    private readonly db: Knex,
    /**
     * How long a stamp is trusted without a query (TA_SERVING_STAMP_MS, default 250 ms): evidence
     * that another process (a worker, another API replica) changes is served at most this late;
     * a write through this process is seen at once (`changed`).
     */
    private readonly reuseMs = stampReuseMs(),
    /** Milliseconds on a monotonic clock; a test steps its own. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A write in this process may have changed the evidence: the next read queries the stamp. */
  changed(): void {
    this.lastChange = this.now();
  }

  private startStamp(): Promise<string> {
    const query = evidenceStamp(this.db);
    this.running = query;
    const clear = (): void => {
      if (this.running === query) this.running = undefined;
    };
    query.then(clear, clear);
    return query;
  }

  /**
   * A stamp read by a query that started after this call, so that a client reading after its own
   * write sees it; requests arriving while one query runs share the next, so that concurrent
   * reads cost one query at a time instead of one each.
   */
  private freshStamp(): Promise<string> {
    if (this.queued) return this.queued;
    if (!this.running) return this.startStamp();
    this.queued = this.running.then(ignore, ignore).then(() => {
      this.queued = undefined;
      return this.startStamp();
    });
    return this.queued;
  }

  /**
   * Without a write through this process since the last stamp, only another process's changes can
   * be missing, and those may be served up to `reuseMs` late: from three quarters of that on, the
   * next stamp is queried in the background while reads are answered from what is held, so that
   * under steady traffic no read waits on the query. A read that finds the stamp older than
   * `reuseMs`, or follows a write here, waits for a stamp that covers it.
   */
  private async current(): Promise<void> {
    const now = this.now();
    const age = now - this.checkedAt;
    if (this.checkedAt > this.lastChange && age < this.reuseMs) {
      if (age >= this.reuseMs * REFRESH_AHEAD && !this.running && !this.queued) this.refresh(now).catch(ignore);
      return;
    }
    await this.refresh(now);
  }

  private async refresh(now: number): Promise<void> {
    const stamp = await this.freshStamp();
    // Dated from before the query, so that a write made while it ran is not taken as covered.
    this.checkedAt = Math.max(this.checkedAt, now);
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    this.answers.clear();
  }

  private async memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
    await this.current();
    let answer = this.answers.get(key) as Promise<T> | undefined;
    if (!answer) {
      answer = compute();
      if (this.answers.size >= MAX_ANSWERS) this.answers.delete(this.answers.keys().next().value!);
      this.answers.set(key, answer);
      answer.catch(() => this.answers.delete(key));
    }
    return answer;
  }

  recommend(request: RecommendationRequest): Promise<RecommendationResult> {
    const key = JSON.stringify([
      'recommend',
      request.target,
      request.candidates ?? null,
      request.context ?? null,
      request.topK ?? null,
    ]);
    return this.memo(key, () => recommend({ knex: this.db }, request));
  }

  datasets(filter: DatasetFilter, page: PageRequest): Promise<PageOf<Dataset>> {
    const key = JSON.stringify(['datasets', filter.origin ?? null, filter.modality ?? null, page.page, page.pageSize]);
    return this.memo(key, () => listDatasets({ knex: this.db }, filter, page));
  }
}
