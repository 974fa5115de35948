/**
 * The signal catalogue: what each pair signal measures and which way is better. Estimator scores
 * rate a backbone for a target (higher predicts a better fine-tuned result); distances compare a
 * source dataset with a target (lower means closer). A name may carry a qualifier after `@`, such
 * as the probe a Task2Vec distance was computed with: `task2vec_cosine@<probe-id>`.
 */

export type SubjectKind = 'backbone' | 'source';
export type Direction = 'higher_is_better' | 'lower_is_closer';

export interface SignalDefinition {
  readonly kind: SubjectKind;
  readonly direction: Direction;
  readonly description: string;
}

const score = (description: string): SignalDefinition => ({
  kind: 'backbone',
  direction: 'higher_is_better',
  description,
});
const distance = (description: string): SignalDefinition => ({
  kind: 'source',
  direction: 'lower_is_closer',
  description,
});

export const SIGNAL_CATALOGUE: Readonly<Record<string, SignalDefinition>> = {
  logme: score('LogME: log marginal evidence of a linear model on the backbone features (You et al., 2021)'),
  leep: score('LEEP: log expected empirical prediction (Nguyen et al., 2020)'),
  nleep: score('N-LEEP: LEEP over a Gaussian mixture of the features (Li et al., 2021)'),
  nce: score('NCE: negative conditional entropy of target labels given source labels (Tran et al., 2019)'),
  hscore: score('H-score (Bao et al., 2019)'),
  sfda: score('SFDA: self-challenging Fisher discriminant analysis (Shao et al., 2022)'),
  parc: score('PARC: pairwise annotation representation comparison (Bolya et al., 2021)'),
  ncti: score('NCTI: neural collapse transferability index (Wang et al., 2023)'),
  lp: score('LP: linear-probe performance (Juodelyte et al., 2024)'),
  fu: score('FU: feature-update score combining feature quality and gradients (Juodelyte et al., 2024)'),
  knn: score('k-nearest-neighbour accuracy on the backbone features'),
  expert_distance: distance('Hamming distance between expert answers about the two datasets'),
  task2vec_cosine: distance('Task2Vec cosine distance of normalised Fisher embeddings, under the probe named after @'),
  plain_cosine: distance('cosine distance of raw Task2Vec embeddings, under the probe named after @'),
  normalized_cosine: distance(
    'cosine distance of Task2Vec embeddings normalised by their sum, under the probe named after @',
  ),
};

export const SIGNAL_NAME = /^[a-z][a-z0-9_]{0,63}(@[A-Za-z0-9._-]{1,128})?$/;

export function signalBase(name: string): string {
  return name.split('@')[0]!;
}

/** The definition of a signal, from the catalogue or from a study that declared it. */
export function signalDefinition(
  name: string,
  declared: Readonly<Record<string, SignalDefinition>> = {},
): SignalDefinition | undefined {
  const base = signalBase(name);
  return SIGNAL_CATALOGUE[base] ?? declared[base];
}
