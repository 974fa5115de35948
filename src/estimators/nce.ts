/**
 * NCE, negative conditional entropy (Tran, Nguyen, Hassner: "Transferability and Hardness of
 * Supervised Classification Tasks", ICCV 2019): with z_i the source classifier's most probable
 * class for image i, NCE = -H(Y | Z) = sum_{y,z} P(y, z) log P(y | z) under the empirical joint
 * of the labels and the z_i. It is at most 0; higher is better.
 */
import {
  checkLabelledFeatures,
  checkSourceProbabilities,
  type LabelledFeatures,
  type SourceProbabilities,
} from './features.js';

export function nce(f: LabelledFeatures, theta: SourceProbabilities): number {
  checkLabelledFeatures(f);
  checkSourceProbabilities(f, theta);
  const { count: n, sourceClasses: z } = theta;
  const joint = new Float64Array(f.classes * z);
  const marginal = new Float64Array(z);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < z; k++) if (theta.values[i * z + k]! > theta.values[i * z + best]!) best = k;
    joint[f.labels[i]! * z + best]! += 1 / n;
    marginal[best]! += 1 / n;
  }
  let total = 0;
  for (let y = 0; y < f.classes; y++) {
    for (let k = 0; k < z; k++) {
      const p = joint[y * z + k]!;
      if (p > 0) total += p * Math.log(p / marginal[k]!);
    }
  }
  return total;
}
