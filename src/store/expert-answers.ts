import type { Knex } from 'knex';
import { isoTime, nowIso } from './rows.js';

/** One observer's questionnaire answers for one dataset, as stored (the answers are the experts domain's to check). */
export interface StoredExpertAnswer {
  readonly dataset: string;
  readonly observer: string;
  readonly answers: Record<string, string>;
  readonly submittedAt: string;
}

interface AnswerRow {
  dataset_id: string;
  observer: string;
  answers: string;
  created_at: unknown;
}

function toAnswer(row: AnswerRow): StoredExpertAnswer {
  return {
    dataset: row.dataset_id,
    observer: row.observer,
    answers: JSON.parse(row.answers) as Record<string, string>,
    submittedAt: isoTime(row.created_at),
  };
}

/** One answer per observer and dataset: a resubmission replaces the observer's earlier answers. */
export async function saveExpertAnswer(
  db: Knex,
  dataset: string,
  observer: string,
  answers: Record<string, string>,
): Promise<{ replaced: boolean }> {
  return db.transaction(async (trx) => {
    const deleted = await trx('expert_assessments').where({ dataset_id: dataset, observer }).delete();
    await trx('expert_assessments').insert({
      dataset_id: dataset,
      observer,
      answers: JSON.stringify(answers),
      created_at: nowIso(),
    });
    return { replaced: deleted > 0 };
  });
}

export async function listExpertAnswers(db: Knex, dataset?: string): Promise<StoredExpertAnswer[]> {
  const q = db('expert_assessments')
    .select('dataset_id', 'observer', 'answers', 'created_at')
    .orderBy(['dataset_id', 'observer']);
  if (dataset !== undefined) q.where('dataset_id', dataset);
  return ((await q) as AnswerRow[]).map(toAnswer);
}
