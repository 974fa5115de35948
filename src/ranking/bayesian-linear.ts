/**
 * Bayesian linear regression with a Gaussian prior on standardised weights and known noise variance:
 * closed-form posterior, predictive mean and variance. Chosen because it stays honest on a few dozen
 * observations: the predictive variance grows away from the data instead of collapsing.
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';

export interface Hyper {
  /** Precision of the zero-mean Gaussian prior on each standardised weight. */
  readonly priorPrecision: number;
  /** Observation noise variance, in squared units of the target variable. */
  readonly noiseVariance: number;
}

export interface Posterior {
  /** Intercept first, then one weight per column. */
  readonly mean: readonly number[];
  readonly covariance: readonly (readonly number[])[];
}

/** The intercept gets a nearly flat prior: the level of transferability is not something to shrink. */
const INTERCEPT_PRECISION = 1e-6;

/** X'X and X'y with the intercept column prepended: all a fit needs, so hyper-parameter search reuses them. */
export interface SufficientStatistics {
  readonly xtx: Matrix;
  readonly xty: Matrix;
}

export function sufficientStatistics(rows: readonly (readonly number[])[], y: readonly number[]): SufficientStatistics {
  if (rows.length !== y.length) throw new RangeError(`${rows.length} rows but ${y.length} targets`);
  if (rows.length === 0) throw new RangeError('cannot fit on no observations');
  const X = new Matrix(rows.map((r) => [1, ...r]));
  const Xt = X.transpose();
  return { xtx: Xt.mmul(X), xty: Xt.mmul(Matrix.columnVector([...y])) };
}

export function posteriorFromStatistics(stats: SufficientStatistics, hyper: Hyper): Posterior {
  const p = stats.xtx.rows;
  const beta = 1 / hyper.noiseVariance;
  const A = stats.xtx.clone().mul(beta);
  A.set(0, 0, A.get(0, 0) + INTERCEPT_PRECISION);
  for (let j = 1; j < p; j++) A.set(j, j, A.get(j, j) + hyper.priorPrecision);
  const cholesky = new CholeskyDecomposition(A);
  if (!cholesky.isPositiveDefinite()) throw new Error('posterior precision is not positive definite');
  const covariance = cholesky.solve(Matrix.eye(p));
  const mean = covariance.mmul(stats.xty.clone().mul(beta)).getColumn(0);
  return { mean, covariance: covariance.to2DArray() };
}

export function fitPosterior(rows: readonly (readonly number[])[], y: readonly number[], hyper: Hyper): Posterior {
  return posteriorFromStatistics(sufficientStatistics(rows, y), hyper);
}

export interface Predictive {
  readonly mean: number;
  /** Includes observation noise: the spread of a new measured result, not just of the mean. */
  readonly variance: number;
}

export function predictive(posterior: Posterior, row: readonly number[], noiseVariance: number): Predictive {
  const x = [1, ...row];
  if (x.length !== posterior.mean.length) throw new RangeError(`row has ${row.length} features, model has ${posterior.mean.length - 1}`);
  let mean = 0;
  let quad = 0;
  for (let i = 0; i < x.length; i++) {
    mean += x[i]! * posterior.mean[i]!;
    let s = 0;
    const ci = posterior.covariance[i]!;
    for (let j = 0; j < x.length; j++) s += ci[j]! * x[j]!;
    quad += x[i]! * s;
  }
  return { mean, variance: noiseVariance + Math.max(0, quad) };
}

export function logPredictiveDensity(observed: number, p: Predictive): number {
  const d = observed - p.mean;
  return -0.5 * (Math.log(2 * Math.PI * p.variance) + (d * d) / p.variance);
}
