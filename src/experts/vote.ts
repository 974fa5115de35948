import { invalid } from '../errors.js';
import { EXPERT_PROPERTIES, VOCABULARY, type ExpertFeatures, type ExpertProperty } from './vocabulary.js';

export interface PropertyVote {
  readonly value: string;
  /** Answers that gave the winning value. */
  readonly votes: number;
  readonly total: number;
  /** Every value that shared the top count, in vocabulary order, when there was a tie; else empty. */
  readonly tiedWith: readonly string[];
}

export interface MajorityVote {
  readonly features: ExpertFeatures;
  readonly observers: number;
  readonly votes: { readonly [P in ExpertProperty]: PropertyVote };
}

/** Answers per vocabulary value, in vocabulary order. */
export function countAnswers(answers: readonly ExpertFeatures[], property: ExpertProperty): number[] {
  const values = VOCABULARY[property] as readonly string[];
  const counts = values.map(() => 0);
  for (const a of answers) counts[values.indexOf(a[property])]! += 1;
  return counts;
}

function voteOn(answers: readonly ExpertFeatures[], property: ExpertProperty): PropertyVote {
  const values = VOCABULARY[property] as readonly string[];
  const counts = countAnswers(answers, property);
  const top = Math.max(...counts);
  const leaders = values.filter((_, i) => counts[i] === top);
  return { value: leaders[0]!, votes: top, total: answers.length, tiedWith: leaders.length > 1 ? leaders : [] };
}

/**
 * A dataset's expert features: per property, the value most observers gave.
 *
 * Tie rule: among values with the same top count, the one listed first in the vocabulary wins
 * (vocabulary.ts order, e.g. 'natural' before 'medical', 'low' before 'medium'). The rule depends
 * only on the answers, never on the order they arrived in, and `tiedWith` names the tied values
 * so that a tie is shown rather than hidden.
 */
export function majorityVote(answers: readonly ExpertFeatures[]): MajorityVote {
  if (answers.length === 0) throw invalid('a majority vote needs at least one observer answer');
  const votes = Object.fromEntries(EXPERT_PROPERTIES.map((p) => [p, voteOn(answers, p)])) as {
    [P in ExpertProperty]: PropertyVote;
  };
  const features = Object.fromEntries(EXPERT_PROPERTIES.map((p) => [p, votes[p].value])) as unknown as ExpertFeatures;
  return { features, observers: answers.length, votes };
}
