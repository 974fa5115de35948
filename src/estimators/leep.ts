/**
 * LEEP (Nguyen, Hassner, Seeger, Archambeau: "LEEP: A New Measure to Evaluate Transferability of
 * Learned Representations", ICML 2020). With theta(x) the source classifier's distribution over
 * its classes z, the empirical joint P(y, z) = 1/N sum_i theta(x_i)_z 1[y_i = y] gives the
 * "expected empirical predictor" P(y | x) = sum_z P(y | z) theta(x)_z, and
 * LEEP = 1/N sum_i log sum_z P(y_i | z) theta(x_i)_z. It is at most 0; higher is better.
 */
import {
  checkLabelledFeatures,
  checkSourceProbabilities,
  type LabelledFeatures,
  type SourceProbabilities,
} from './features.js';

export function leep(f: LabelledFeatures, theta: SourceProbabilities): number {
  checkLabelledFeatures(f);
  checkSourceProbabilities(f, theta);
  const { count: n, sourceClasses: z } = theta;
  const joint = new Float64Array(f.classes * z);
  const marginal = new Float64Array(z);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < z; k++) {
      const p = theta.values[i * z + k]! / n;
      joint[f.labels[i]! * z + k]! += p;
      marginal[k]! += p;
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const y = f.labels[i]!;
    let predicted = 0;
    for (let k = 0; k < z; k++) {
      if (marginal[k]! > 0) predicted += (joint[y * z + k]! / marginal[k]!) * theta.values[i * z + k]!;
    }
    total += Math.log(predicted);
  }
  return total / n;
}
