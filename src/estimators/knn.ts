/**
 * Leave-one-out k-nearest-neighbour accuracy on the features under cosine similarity: how well
 * the backbone's feature space already separates the target's classes without any training.
 * Each image is classified by a majority vote of its K most similar other images; a tied vote
 * goes to the tied class with the larger summed similarity, then the lower class index.
 *
 * K = 5 is fixed, not tuned on any target: large enough that one mislabelled or duplicated
 * neighbour cannot decide a vote alone, and small enough that a class of the smallest size the
 * ingestion accepts (5 images, so 4 others when one is left out) can still win its own vote.
 */
import { checkLabelledFeatures, type LabelledFeatures } from './features.js';

export const KNN_K = 5;

export function knnAccuracy(f: LabelledFeatures, k: number = KNN_K): number {
  checkLabelledFeatures(f);
  const { count: n, dimension: d } = f;
  const neighbours = Math.min(k, n - 1);
  const unit = Float64Array.from(f.values);
  for (let i = 0; i < n; i++) {
    let norm2 = 0;
    for (let j = 0; j < d; j++) norm2 += unit[i * d + j]! ** 2;
    const scale = norm2 > 0 ? 1 / Math.sqrt(norm2) : 0;
    for (let j = 0; j < d; j++) unit[i * d + j] = unit[i * d + j]! * scale;
  }
  const similarity = new Float64Array(n);
  const votes = new Float64Array(f.classes);
  const weight = new Float64Array(f.classes);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += unit[i * d + t]! * unit[j * d + t]!;
      similarity[j] = s;
    }
    const others = Array.from({ length: n - 1 }, (_, j) => (j < i ? j : j + 1));
    // Equal similarities keep the lower index first, so the vote does not depend on sort stability.
    others.sort((a, b) => similarity[b]! - similarity[a]! || a - b);
    votes.fill(0);
    weight.fill(0);
    for (const j of others.slice(0, neighbours)) {
      const y = f.labels[j]!;
      votes[y]! += 1;
      weight[y]! += similarity[j]!;
    }
    let best = 0;
    for (let c = 1; c < f.classes; c++) {
      if (votes[c]! > votes[best]! || (votes[c] === votes[best] && weight[c]! > weight[best]!)) best = c;
    }
    if (best === f.labels[i]) correct++;
  }
  return correct / n;
}
