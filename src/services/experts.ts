/**
 * Expert features of stored datasets: observers' questionnaire answers, their majority vote and
 * agreement, and expert distances with the published figures first. The API and CLI call these.
 */
import type { Knex } from 'knex';
import type { Db } from './session.js';
import { invalid, notFound, AppError } from '../errors.js';
import { getDataset, listExpertAnswers, saveExpertAnswer, listPublishedExpertDistances } from '../store/index.js';
import {
  agreementPerProperty,
  type Agreement,
  parseExpertFeatures,
  expertDistance,
  PublishedExpertDistances,
  type ExpertDistance,
  EXPERT_PROPERTIES,
  type ExpertFeatures,
  type ExpertProperty,
  countAnswers,
  majorityVote,
  type PropertyVote,
} from '../experts/index.js';

export const TIE_RULE = 'among values with the same top count, the one listed first in the vocabulary wins';

export interface PropertyAgreement {
  /** Fleiss' kappa of this property over every dataset with two or more observers (datasets are the subjects). */
  readonly kappa: number | null;
  readonly datasets: number;
  /** Share of this dataset's observer pairs that gave the same value. */
  readonly observed: number;
}

export interface DatasetExpertFeatures {
  readonly dataset: string;
  /** `observers`: the vote of submitted answers; `registry`: the features its registry file records. */
  readonly source: 'observers' | 'registry';
  readonly features: ExpertFeatures;
  readonly observers: number;
  readonly votes: { readonly [P in ExpertProperty]: PropertyVote } | null;
  /** Present with two or more observers. */
  readonly agreement: { readonly [P in ExpertProperty]: PropertyAgreement } | null;
}

const OBSERVER = /^[A-Za-z0-9][A-Za-z0-9 ._@+'-]{0,99}$/;

function pairAgreement(counts: readonly number[]): number {
  const n = counts.reduce((a, b) => a + b, 0);
  return counts.reduce((s, c) => s + c * (c - 1), 0) / (n * (n - 1));
}

async function answersByDataset(db: Knex): Promise<Map<string, ExpertFeatures[]>> {
  const out = new Map<string, ExpertFeatures[]>();
  for (const a of await listExpertAnswers(db)) {
    const list = out.get(a.dataset) ?? [];
    list.push(parseExpertFeatures(a.answers));
    out.set(a.dataset, list);
  }
  return out;
}

function fromAnswers(
  dataset: string,
  answers: readonly ExpertFeatures[],
  all: Map<string, ExpertFeatures[]>,
): DatasetExpertFeatures {
  const vote = majorityVote(answers);
  let agreement: DatasetExpertFeatures['agreement'] = null;
  if (answers.length >= 2) {
    const kappas: { readonly [P in ExpertProperty]: Agreement } = agreementPerProperty(all.values());
    agreement = Object.fromEntries(
      EXPERT_PROPERTIES.map((p) => [
        p,
        { kappa: kappas[p].kappa, datasets: kappas[p].subjects, observed: pairAgreement(countAnswers(answers, p)) },
      ]),
    ) as { [P in ExpertProperty]: PropertyAgreement };
  }
  return {
    dataset,
    source: 'observers',
    features: vote.features,
    observers: answers.length,
    votes: vote.votes,
    agreement,
  };
}

/** Observers' vote where anyone has answered, else the registry's features; undefined when neither exists. */
async function featuresOrUndefined(
  db: Knex,
  dataset: string,
  all: Map<string, ExpertFeatures[]>,
): Promise<DatasetExpertFeatures | undefined> {
  const answers = all.get(dataset);
  if (answers && answers.length > 0) return fromAnswers(dataset, answers, all);
  const registered = (await getDataset(db, dataset))?.expert_features;
  if (!registered) return undefined;
  return { dataset, source: 'registry', features: registered, observers: 0, votes: null, agreement: null };
}

/** A dataset's expert features, or null when no observer answered and its registry file records none. */
export async function expertFeaturesOrNull({ knex: db }: Db, dataset: string): Promise<DatasetExpertFeatures | null> {
  return (await featuresOrUndefined(db, dataset, await answersByDataset(db))) ?? null;
}

export async function datasetExpertFeatures({ knex: db }: Db, dataset: string): Promise<DatasetExpertFeatures> {
  if (!(await getDataset(db, dataset))) throw notFound('dataset', dataset);
  const found = await featuresOrUndefined(db, dataset, await answersByDataset(db));
  if (!found) {
    throw new AppError(
      'not-found',
      'No expert features',
      `dataset '${dataset}' has no expert features yet: no observer has answered and its registry file records none; submit answers with transfer-atlas experts answer ${dataset}`,
      [{ field: 'id', message: 'no expert features' }],
    );
  }
  return found;
}

export interface SubmittedAnswer {
  readonly dataset: string;
  readonly observer: string;
  readonly answers: ExpertFeatures;
  /** True when it replaced this observer's earlier answers. */
  readonly replaced: boolean;
  readonly features: DatasetExpertFeatures;
}

/** One observer's answers for a dataset; a resubmission replaces that observer's earlier ones. */
export async function submitExpertAnswer(
  db: Db,
  dataset: string,
  observer: string,
  answers: unknown,
): Promise<SubmittedAnswer> {
  const name = observer.trim();
  if (!OBSERVER.test(name))
    throw invalid(
      `observer '${observer}' must be 1-100 letters, digits, spaces or . _ @ + ' -, starting with a letter or digit`,
      [{ field: 'observer', message: 'bad observer name' }],
    );
  const features = parseExpertFeatures(answers);
  if (!(await getDataset(db.knex, dataset))) throw notFound('dataset', dataset);
  const { replaced } = await saveExpertAnswer(db.knex, dataset, name, { ...features });
  return { dataset, observer: name, answers: features, replaced, features: await datasetExpertFeatures(db, dataset) };
}

export interface StoredExpertDistance extends ExpertDistance {
  /** Where each dataset's features came from, when the distance was computed rather than published. */
  readonly features?: Readonly<Record<string, DatasetExpertFeatures['source']>>;
}

/** The expert distance between two datasets: published for the pair if a study gave one, else the Hamming distance of their features. */
export async function storedExpertDistance({ knex: db }: Db, a: string, b: string): Promise<StoredExpertDistance> {
  for (const [id, field] of [
    [a, 'a'],
    [b, 'b'],
  ] as const)
    if (!(await getDataset(db, id))) throw notFound('dataset', id, field);
  const published = new PublishedExpertDistances(
    (await listPublishedExpertDistances(db)).map((d) => ({
      a: d.target,
      b: d.source,
      distance: d.distance,
      source: d.publication,
    })),
  );
  const all = await answersByDataset(db);
  const fa = await featuresOrUndefined(db, a, all);
  const fb = await featuresOrUndefined(db, b, all);
  const features = new Map<string, ExpertFeatures>([
    ...(fa ? [[a, fa.features] as const] : []),
    ...(fb ? [[b, fb.features] as const] : []),
  ]);
  const d = expertDistance(a, b, features, published);
  if (d.from.kind === 'published' || !fa || !fb) return d;
  return { ...d, features: { [a]: fa.source, [b]: fb.source } };
}
