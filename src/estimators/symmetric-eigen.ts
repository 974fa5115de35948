/**
 * Eigenvalues of a real symmetric matrix, and the coordinates of a few given vectors in its
 * eigenbasis, without forming the eigenvectors: Householder reduction to tridiagonal form
 * followed by the implicit QL iteration with Wilkinson-style shifts (the EISPACK tred2/tql2
 * pair), each reflection and rotation applied to the vectors instead of being accumulated.
 *
 * The estimators only ever need u_i^T y for a handful of y (one per class), so this costs
 * about 2n^3 flops instead of the 6n^3 of a full eigendecomposition, on flat float64 arrays.
 */

export interface EigenProjection {
  /** Eigenvalues in ascending order. */
  readonly values: Float64Array;
  /** coordinates[j][i] = (i-th eigenvector) . (j-th input vector), in the order of `values`. */
  readonly coordinates: Float64Array[];
}

/**
 * `matrix` is n x n row-major and symmetric; only its lower triangle is read (it is copied).
 * `vectors` are length-n vectors to express in the eigenbasis. Eigenvector signs are arbitrary,
 * so only products of two coordinates of the same eigenvector, or squares, are meaningful.
 */
export function symmetricEigenProjection(
  matrix: Float64Array,
  n: number,
  vectors: readonly Float64Array[],
): EigenProjection {
  if (matrix.length !== n * n) throw new RangeError(`matrix has ${matrix.length} values, expected ${n}x${n}`);
  for (const v of vectors) if (v.length !== n) throw new RangeError(`vector of length ${v.length}, expected ${n}`);
  const a = Float64Array.from(matrix);
  const ys = vectors.map((v) => Float64Array.from(v));
  const { diagonal, offDiagonal } = tridiagonalise(a, n, ys);
  implicitQl(diagonal, offDiagonal, ys);
  return sortAscending(diagonal, ys);
}

/**
 * Householder step k zeroes column k below the sub-diagonal with the reflection
 * H = I - beta v v^T, applied on both sides of the trailing block (a rank-two update) and to
 * every vector: after the loop a = Q T Q^T with Q = H_0 H_1 ..., and the vectors hold Q^T y.
 */
function tridiagonalise(
  a: Float64Array,
  n: number,
  ys: Float64Array[],
): { diagonal: Float64Array; offDiagonal: Float64Array } {
  const diagonal = new Float64Array(n);
  const offDiagonal = new Float64Array(n);
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    diagonal[k] = a[k * n + k]!;
    let norm2 = 0;
    for (let i = k + 1; i < n; i++) norm2 += a[i * n + k]! ** 2;
    const x0 = a[(k + 1) * n + k]!;
    const norm = Math.sqrt(norm2);
    if (norm === 0) {
      offDiagonal[k] = 0;
      continue;
    }
    const alpha = x0 > 0 ? -norm : norm;
    for (let i = k + 1; i < n; i++) v[i] = a[i * n + k]!;
    v[k + 1] = x0 - alpha;
    const vv = norm2 - x0 * x0 + v[k + 1]! ** 2;
    offDiagonal[k] = alpha;
    if (vv === 0) continue;
    const beta = 2 / vv;
    // p = beta B v, then w = p - (beta/2)(v^T p) v, and B <- B - v w^T - w v^T, reading and
    // writing only the lower triangle of B (j <= i) and its diagonal.
    w.fill(0, k + 1, n);
    for (let i = k + 1; i < n; i++) {
      const row = i * n;
      const vi = v[i]!;
      let s = 0;
      for (let j = k + 1; j < i; j++) {
        const aij = a[row + j]!;
        s += aij * v[j]!;
        w[j] = w[j]! + aij * vi;
      }
      w[i] = w[i]! + s + a[row + i]! * vi;
    }
    let vp = 0;
    for (let i = k + 1; i < n; i++) {
      w[i] = beta * w[i]!;
      vp += v[i]! * w[i]!;
    }
    const half = (beta / 2) * vp;
    for (let i = k + 1; i < n; i++) w[i] = w[i]! - half * v[i]!;
    for (let i = k + 1; i < n; i++) {
      const row = i * n;
      const vi = v[i]!;
      const wi = w[i]!;
      for (let j = k + 1; j <= i; j++) a[row + j] = a[row + j]! - vi * w[j]! - wi * v[j]!;
    }
    for (const y of ys) {
      let s = 0;
      for (let i = k + 1; i < n; i++) s += v[i]! * y[i]!;
      s *= beta;
      for (let i = k + 1; i < n; i++) y[i] = y[i]! - s * v[i]!;
    }
  }
  if (n >= 2) {
    diagonal[n - 2] = a[(n - 2) * n + (n - 2)]!;
    offDiagonal[n - 2] = a[(n - 1) * n + (n - 2)]!;
  }
  if (n >= 1) diagonal[n - 1] = a[(n - 1) * n + (n - 1)]!;
  return { diagonal, offDiagonal };
}

/**
 * QL iteration on the tridiagonal matrix (diagonal d, off-diagonal e with e[i] coupling i and
 * i+1). Every plane rotation of columns i, i+1 of the eigenvector matrix is applied to the
 * vectors' coordinates instead, so they end as (eigenvector)^T y. d ends holding the eigenvalues.
 */
function implicitQl(d: Float64Array, e: Float64Array, ys: Float64Array[]): void {
  const n = d.length;
  const eps = 2 ** -52;
  let shiftTotal = 0;
  let scale = 0;
  for (let l = 0; l < n; l++) {
    scale = Math.max(scale, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n && Math.abs(e[m]!) > eps * scale) m++;
    if (m > l) {
      let iterations = 0;
      do {
        if (++iterations > 60) throw new Error('symmetric eigenvalue iteration did not converge');
        const g0 = d[l]!;
        let p = (d[l + 1]! - g0) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g0 - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        shiftTotal += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          const g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          for (const y of ys) {
            const yi1 = y[i + 1]!;
            y[i + 1] = s * y[i]! + c * yi1;
            y[i] = c * y[i]! - s * yi1;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * scale);
    }
    d[l] = d[l]! + shiftTotal;
    e[l] = 0;
  }
}

function sortAscending(values: Float64Array, ys: Float64Array[]): EigenProjection {
  const order = Array.from(values.keys()).sort((i, j) => values[i]! - values[j]!);
  return {
    values: Float64Array.from(order, (i) => values[i]!),
    coordinates: ys.map((y) => Float64Array.from(order, (i) => y[i]!)),
  };
}
