import { symmetricEigenProjection } from './symmetric-eigen.js';

/**
 * The singular spectrum of an N x D feature matrix F and the coordinates u_i^T y of given
 * N-vectors y on its left singular vectors u_i, from whichever Gram matrix is smaller:
 * F F^T (N x N; its eigenvectors are the u_i) when N <= D, else F^T F (D x D; then
 * u_i = F v_i / s_i, so u_i^T y = v_i^T (F^T y) / s_i, defined only where s_i > 0).
 */
export interface Spectrum {
  /** sigma_i = s_i^2, the eigenvalues of F^T F that can be non-zero, ascending. */
  readonly sigma: Float64Array;
  /** projections[j][i] = u_i^T y_j. */
  readonly projections: Float64Array[];
}

/**
 * On the D x D route only directions with a singular value above this are kept (the rank of F,
 * as the LogME reference decides it); on the N x N route all N are kept, as a thin SVD would.
 */
const SINGULAR_VALUE_FLOOR = 1e-10;

export function spectrum(
  values: Float64Array,
  count: number,
  dimension: number,
  ys: readonly Float64Array[],
): Spectrum {
  if (count <= dimension) {
    const gram = new Float64Array(count * count);
    for (let i = 0; i < count; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let k = 0; k < dimension; k++) s += values[i * dimension + k]! * values[j * dimension + k]!;
        gram[i * count + j] = s;
        gram[j * count + i] = s;
      }
    }
    const e = symmetricEigenProjection(gram, count, ys);
    return { sigma: e.values.map((l) => Math.max(l, 0)), projections: e.coordinates };
  }
  const gram = new Float64Array(dimension * dimension);
  for (let n = 0; n < count; n++) {
    const row = n * dimension;
    for (let i = 0; i < dimension; i++) {
      const fi = values[row + i]!;
      if (fi === 0) continue;
      for (let j = 0; j <= i; j++) gram[i * dimension + j] = gram[i * dimension + j]! + fi * values[row + j]!;
    }
  }
  const fty = ys.map((y) => {
    const out = new Float64Array(dimension);
    for (let n = 0; n < count; n++) {
      const yn = y[n]!;
      if (yn === 0) continue;
      for (let i = 0; i < dimension; i++) out[i] = out[i]! + yn * values[n * dimension + i]!;
    }
    return out;
  });
  const e = symmetricEigenProjection(gram, dimension, fty);
  const kept: number[] = [];
  e.values.forEach((l, i) => {
    if (l > 0 && Math.sqrt(l) > SINGULAR_VALUE_FLOOR) kept.push(i);
  });
  return {
    sigma: Float64Array.from(kept, (i) => e.values[i]!),
    projections: e.coordinates.map((c) => Float64Array.from(kept, (i) => c[i]! / Math.sqrt(e.values[i]!))),
  };
}

/** Features as float64, optionally centred (each column's mean subtracted). */
export function float64Features(
  values: Float32Array | Float64Array,
  count: number,
  dimension: number,
  centred: boolean,
): Float64Array {
  const out = Float64Array.from(values);
  if (!centred) return out;
  const mean = new Float64Array(dimension);
  for (let n = 0; n < count; n++) for (let i = 0; i < dimension; i++) mean[i] = mean[i]! + out[n * dimension + i]!;
  for (let i = 0; i < dimension; i++) mean[i] = mean[i]! / count;
  for (let n = 0; n < count; n++)
    for (let i = 0; i < dimension; i++) out[n * dimension + i] = out[n * dimension + i]! - mean[i]!;
  return out;
}
