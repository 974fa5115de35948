/**
 * LogME (You, Liu, Wang, Long: "LogME: Practical Assessment of Pre-trained Models for Transfer
 * Learning", ICML 2021; "Ranking and Tuning Pre-trained Models", JMLR 2022). For each class c,
 * the one-vs-rest target y = 1[label = c] is modelled as a Bayesian linear regression on the
 * features, y ~ N(F w, 1/beta), w ~ N(0, I/alpha); alpha and beta maximise the evidence
 * p(y | F, alpha, beta), and LogME is that maximum log evidence per image, averaged over classes.
 *
 * Everything runs in the singular basis of F: with F = U S V^T, sigma_i = s_i^2 and
 * x_i = u_i^T y, the posterior mean m = (t I + F^T F)^{-1} F^T y with t = alpha / beta has
 *   ||m||^2      = sum_i sigma_i x_i^2 / (t + sigma_i)^2
 *   ||y - F m||^2 = sum_i x_i^2 / (1 + sigma_i / t)^2 + (||y||^2 - sum_i x_i^2).
 */
import type { LabelledFeatures } from './features.js';
import { checkLabelledFeatures } from './features.js';
import { float64Features, spectrum } from './spectrum.js';

/**
 * `fixed-point`: the JMLR iteration, the reference implementation's default; the log-determinant
 * runs over the min(N, D) singular directions only. `icml`: the MacKay-style iteration of the
 * ICML paper with the log-determinant over all D directions (those beyond the rank count as
 * sigma = 0); the two agree except when D > N.
 */
export type LogmeVariant = 'fixed-point' | 'icml';

/** The reference's iteration budget; it converges in two or three steps in practice. */
const MAX_ITERATIONS = 11;
/** The reference's guard against a zero denominator in the alpha and beta updates. */
const EPSILON = 1e-5;

interface ClassProblem {
  readonly n: number;
  readonly d: number;
  readonly sigma: Float64Array;
  readonly x2: Float64Array;
  /** ||y||^2 - sum_i x_i^2: the part of y outside the span of F. */
  readonly outside: number;
}

/** ||m||^2 and ||y - F m||^2 of the posterior mean at t = alpha / beta. */
function posterior(p: ClassProblem, t: number): { m2: number; residual2: number; gamma: number } {
  let m2 = 0;
  let residual2 = p.outside;
  let gamma = 0;
  for (let i = 0; i < p.sigma.length; i++) {
    const s = p.sigma[i]!;
    const x2 = p.x2[i]!;
    m2 += (s * x2) / (t + s) ** 2;
    residual2 += x2 / (1 + s / t) ** 2;
    gamma += s / (s + t);
  }
  return { m2, residual2, gamma };
}

/**
 * log p(y | alpha, beta) / N = [D/2 log alpha + N/2 log beta - 1/2 log|A| - beta/2 ||y - F m||^2
 * - alpha/2 ||m||^2 - N/2 log 2 pi] / N with A = alpha I + beta F^T F; `logDetDirections` says
 * how many of A's eigenvalues alpha + beta sigma_i enter log|A| (sigma = 0 beyond the spectrum).
 */
function logEvidence(
  p: ClassProblem,
  alpha: number,
  beta: number,
  m2: number,
  residual2: number,
  logDetDirections: number,
): number {
  let logDet = (logDetDirections - p.sigma.length) * Math.log(alpha);
  for (const s of p.sigma) logDet += Math.log(alpha + beta * s);
  const evidence =
    (p.d / 2) * Math.log(alpha) +
    (p.n / 2) * Math.log(beta) -
    logDet / 2 -
    (beta / 2) * residual2 -
    (alpha / 2) * m2 -
    (p.n / 2) * Math.log(2 * Math.PI);
  return evidence / p.n;
}

/** JMLR: alpha <- gamma / ||m||^2, beta <- (N - gamma) / ||y - F m||^2 until t moves by <= 0.1%. */
function fixedPoint(p: ClassProblem): number {
  let alpha = 1;
  let beta = 1;
  let evidence = Number.NaN;
  for (let k = 0; k < MAX_ITERATIONS; k++) {
    const t = alpha / beta;
    const { m2, residual2, gamma } = posterior(p, t);
    alpha = gamma / (m2 + EPSILON);
    beta = (p.n - gamma) / (residual2 + EPSILON);
    evidence = logEvidence(p, alpha, beta, m2, residual2, p.sigma.length);
    if (Math.abs(alpha / beta - t) / t <= 1e-3) break;
  }
  return evidence;
}

/** ICML: the same updates, stopped when t moves by < 1%, and log|A| over all D directions. */
function icml(p: ClassProblem): number {
  let alpha = 1;
  let beta = 1;
  let t = alpha / beta;
  let m2 = 0;
  let residual2 = 0;
  for (let k = 0; k < MAX_ITERATIONS; k++) {
    const step = posterior(p, t);
    m2 = step.m2;
    residual2 = step.residual2;
    alpha = step.gamma / (m2 + EPSILON);
    beta = (p.n - step.gamma) / (residual2 + EPSILON);
    const next = alpha / beta;
    if (Math.abs(next - t) / t < 0.01) break;
    t = next;
  }
  return logEvidence(p, alpha, beta, m2 + EPSILON, residual2 + EPSILON, Math.max(p.d, p.sigma.length));
}

/** Mean over classes of the maximum log evidence per image; higher means more transferable. */
export function logme(f: LabelledFeatures, variant: LogmeVariant = 'fixed-point'): number {
  checkLabelledFeatures(f);
  const values = float64Features(f.values, f.count, f.dimension, false);
  const targets = Array.from({ length: f.classes }, (_, c) => Float64Array.from(f.labels, (y) => (y === c ? 1 : 0)));
  const { sigma, projections } = spectrum(values, f.count, f.dimension, targets);
  let total = 0;
  targets.forEach((y, c) => {
    const x = projections[c]!;
    const x2 = x.map((v) => v * v);
    const y2 = y.reduce((s, v) => s + v * v, 0);
    const problem: ClassProblem = {
      n: f.count,
      d: f.dimension,
      sigma,
      x2,
      outside: y2 - x2.reduce((s, v) => s + v, 0),
    };
    total += variant === 'fixed-point' ? fixedPoint(problem) : icml(problem);
  });
  return total / f.classes;
}
