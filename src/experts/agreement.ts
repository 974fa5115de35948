import { EXPERT_PROPERTIES, type ExpertFeatures, type ExpertProperty } from './vocabulary.js';
import { countAnswers } from './vote.js';

export interface Agreement {
  /** Fleiss' kappa; null when it is undefined (see fleissKappa). */
  readonly kappa: number | null;
  /** Mean pairwise agreement between observers of the same dataset (P-bar); null without such pairs. */
  readonly observed: number | null;
  /** Agreement expected by chance from the overall answer frequencies (P_e). */
  readonly expected: number | null;
  /** Datasets with at least two answers, the only ones that carry information on agreement. */
  readonly subjects: number;
  readonly answers: number;
}

/**
 * Fleiss' kappa over subjects (datasets), each a row of counts per category. Rows may have
 * different numbers of raters: P_i = (sum_j n_ij^2 - n_i) / (n_i (n_i - 1)) per row, P-bar their
 * mean, p_j the share of all ratings in category j, P_e = sum_j p_j^2; with equal numbers of
 * raters this is Fleiss' original statistic. Rows with fewer than two ratings are left out.
 * kappa = (P-bar - P_e) / (1 - P_e) is undefined, and null, when no row has two ratings or when
 * every rating falls in one category (P_e = 1: agreement is total but so is chance agreement).
 */
export function fleissKappa(rows: readonly (readonly number[])[]): Agreement {
  const used = rows.filter((r) => r.reduce((a, b) => a + b, 0) >= 2);
  const answers = used.reduce((n, r) => n + r.reduce((a, b) => a + b, 0), 0);
  if (used.length === 0) return { kappa: null, observed: null, expected: null, subjects: 0, answers };
  const categories = used[0]!.length;
  const totals = new Array<number>(categories).fill(0);
  let sumP = 0;
  for (const row of used) {
    const n = row.reduce((a, b) => a + b, 0);
    let squares = 0;
    row.forEach((c, j) => {
      squares += c * c;
      totals[j]! += c;
    });
    sumP += (squares - n) / (n * (n - 1));
  }
  const observed = sumP / used.length;
  const expected = totals.reduce((s, t) => s + (t / answers) ** 2, 0);
  const kappa = expected >= 1 ? null : (observed - expected) / (1 - expected);
  return { kappa, observed, expected, subjects: used.length, answers };
}

/** Fleiss' kappa of each questionnaire property over all datasets' observer answers. */
export function agreementPerProperty(answersByDataset: Iterable<readonly ExpertFeatures[]>): {
  readonly [P in ExpertProperty]: Agreement;
} {
  const groups = [...answersByDataset];
  return Object.fromEntries(
    EXPERT_PROPERTIES.map((p) => [p, fleissKappa(groups.map((answers) => countAnswers(answers, p)))]),
  ) as { [P in ExpertProperty]: Agreement };
}
