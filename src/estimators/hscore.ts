/**
 * H-score (Bao, Li, Huang et al.: "An Information-Theoretic Approach to Transferability in Task
 * Transfer Learning", ICIP 2019), H(f) = tr(cov(f)^{-1} cov(E[f | y])), with the shrinkage
 * estimator of cov(f) of Ibrahim, Ponomareva, Mazumder ("Newer is not always better: Rethinking
 * transferability metrics, their peculiarities, stability and performance", ECML PKDD 2022):
 *   H_alpha(f) = tr(cov_alpha(f)^{-1} (1 - alpha) cov(E[f | y])),
 *   cov_alpha(f) = (1 - alpha) S + alpha mu I, mu = tr(S) / D,
 * where S is the empirical covariance of the centred features and alpha the Ledoit-Wolf (2004)
 * shrinkage intensity. Without shrinkage the inverse of a D x D covariance estimated from fewer
 * than D images is dominated by noise. cov(E[f | y]) is the covariance of each image's class
 * mean, with the 1/(N-1) normalisation of the common implementation. Higher is better.
 */
import { checkLabelledFeatures, classCounts, type LabelledFeatures } from './features.js';
import { float64Features, spectrum } from './spectrum.js';

/** Directions whose covariance eigenvalue is below this fraction of the largest are dropped (a pseudo-inverse). */
const PSEUDO_INVERSE_RCOND = 1e-15;

/**
 * Ledoit and Wolf's optimal intensity from the centred rows x_k: with
 * delta^2 = ||S - mu I||_F^2 / D and beta^2 = (1/N^2) sum_k ||x_k x_k^T - S||_F^2 / D
 *            = (sum_k ||x_k||^4 / N - ||S||_F^2) / (N D),
 * alpha = min(beta^2, delta^2) / delta^2. `sigma` are the eigenvalues of X^T X = N S.
 */
export function ledoitWolfShrinkage(
  x: Float64Array,
  count: number,
  dimension: number,
  sigma: Float64Array,
): { alpha: number; mu: number } {
  let trace = 0;
  let frobenius2 = 0;
  for (const s of sigma) {
    trace += s / count;
    frobenius2 += (s / count) ** 2;
  }
  const mu = trace / dimension;
  let fourth = 0;
  for (let k = 0; k < count; k++) {
    let norm2 = 0;
    for (let i = 0; i < dimension; i++) norm2 += x[k * dimension + i]! ** 2;
    fourth += norm2 * norm2;
  }
  const delta2 = (frobenius2 - 2 * mu * trace + dimension * mu * mu) / dimension;
  const beta2 = Math.min((fourth / count - frobenius2) / (count * dimension), delta2);
  return { alpha: delta2 > 0 ? beta2 / delta2 : 0, mu };
}

export function hscore(f: LabelledFeatures): number {
  checkLabelledFeatures(f);
  const n = f.count;
  const x = float64Features(f.values, n, f.dimension, true);
  const sizes = classCounts(f.labels, f.classes);
  // m_c = X^T w_c with w_c the class indicator over n_c, so v_i^T m_c = s_i u_i^T w_c.
  const weights = Array.from({ length: f.classes }, (_, c) =>
    Float64Array.from(f.labels, (y) => (y === c ? 1 / sizes[c]! : 0)),
  );
  const { sigma, projections } = spectrum(x, n, f.dimension, weights);
  const { alpha, mu } = ledoitWolfShrinkage(x, n, f.dimension, sigma);
  const eigen = Float64Array.from(sigma, (s) => ((1 - alpha) * s) / n + alpha * mu);
  const floor = PSEUDO_INVERSE_RCOND * Math.max(...eigen, alpha * mu);
  let quadratic = 0;
  for (let c = 0; c < f.classes; c++) {
    const u = projections[c]!;
    let q = 0;
    for (let i = 0; i < sigma.length; i++) if (eigen[i]! > floor) q += (sigma[i]! * u[i]! ** 2) / eigen[i]!;
    quadratic += sizes[c]! * q;
  }
  return ((1 - alpha) * quadratic) / (n - 1);
}
