/**
 * Weighted Kendall tau (Vigna, "A weighted correlation index for rankings with ties", WWW 2015) with
 * the hyperbolic weigher 1/(r + 1) and the rank of each element taken from the decreasing order of
 * one variable, averaged over both choices of that variable. This is what
 * scipy.stats.weightedtau(x, y) returns with default arguments, ties included, so figures here can be
 * set beside published ones computed with scipy.
 */

const hyperbolic = (rank: number): number => 1 / (1 + rank);

/** Indices sorted by x, then by y, both increasing; stable, so full ties keep their input order. */
function lexicographicOrder(x: readonly number[], y: readonly number[]): number[] {
  return x.map((_, i) => i).sort((a, b) => x[a]! - x[b]! || y[a]! - y[b]! || a - b);
}

/** Sum over runs of equal keys (in `order`) of each element's weight times the other members of its run. */
function tiedWeight(
  order: readonly number[],
  weight: readonly number[],
  same: (a: number, b: number) => boolean,
): number {
  let total = 0;
  let first = 0;
  let run = weight[order[0]!]!;
  for (let i = 1; i < order.length; i++) {
    if (!same(order[first]!, order[i]!)) {
      total += run * (i - first - 1);
      first = i;
      run = 0;
    }
    run += weight[order[i]!]!;
  }
  return total + run * (order.length - first - 1);
}

function isConstant(values: readonly number[]): boolean {
  return values.every((v) => v === values[0]);
}

/**
 * One direction of the index: elements ranked by decreasing x (ties by decreasing y), each pair weighted
 * by the sum of its two elements' weights; discordances are counted by a merge sort on y.
 */
function rankedTau(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const order = lexicographicOrder(x, y);
  const weight = new Array<number>(n);
  order.forEach((element, position) => {
    weight[element] = hyperbolic(n - 1 - position);
  });
  const jointTies = tiedWeight(order, weight, (a, b) => x[a] === x[b] && y[a] === y[b]);
  const xTies = tiedWeight(order, weight, (a, b) => x[a] === x[b]);

  let exchanges = 0;
  const perm = [...order];
  const buffer = new Array<number>(n);
  const sortByY = (offset: number, length: number): number => {
    if (length === 1) return weight[perm[offset]!]!;
    const leftLength = length >> 1;
    const rightLength = length - leftLength;
    const middle = offset + leftLength;
    let residual = sortByY(offset, leftLength);
    const total = sortByY(middle, rightLength) + residual;
    if (y[perm[middle - 1]!]! < y[perm[middle]!]!) return total;
    let i = 0;
    let j = 0;
    let k = 0;
    while (j < leftLength && k < rightLength) {
      if (y[perm[offset + j]!]! <= y[perm[middle + k]!]!) {
        buffer[i] = perm[offset + j]!;
        residual -= weight[buffer[i]!]!;
        j++;
      } else {
        buffer[i] = perm[middle + k]!;
        // Every element still waiting on the left is discordant with this one.
        exchanges += weight[buffer[i]!]! * (leftLength - j) + residual;
        k++;
      }
      i++;
    }
    for (let q = leftLength - 1; q >= j; q--) perm[offset + i + q - j] = perm[offset + q]!;
    for (let q = 0; q < i; q++) perm[offset + q] = buffer[q]!;
    return total;
  };
  sortByY(0, n);

  const yTies = tiedWeight(perm, weight, (a, b) => y[a] === y[b]);
  const allPairs = weight.reduce((a, w) => a + w, 0) * (n - 1);
  const tau =
    (allPairs - (yTies + xTies - jointTies) - 2 * exchanges) /
    Math.sqrt(allPairs - xTies) /
    Math.sqrt(allPairs - yTies);
  return Math.min(1, Math.max(-1, tau));
}

/** Null when either side is constant or there are fewer than two elements (scipy: nan). */
export function weightedTau(x: readonly number[], y: readonly number[]): number | null {
  if (x.length !== y.length) throw new RangeError(`weighted tau needs equal lengths, got ${x.length} and ${y.length}`);
  for (const v of [...x, ...y]) if (!Number.isFinite(v)) throw new RangeError(`non-finite value ${v} in weighted tau`);
  if (x.length < 2 || isConstant(x) || isConstant(y)) return null;
  return (rankedTau(x, y) + rankedTau(y, x)) / 2;
}
