import { invalid } from '../errors.js';

/** Features of N images, D values each, row-major, with each image's class in 0..classes-1. */
export interface LabelledFeatures {
  readonly count: number;
  readonly dimension: number;
  readonly values: Float32Array | Float64Array;
  readonly labels: Int32Array;
  readonly classes: number;
}

/**
 * A source classifier's probabilities over its own Z classes for each of the same N images,
 * row-major N x Z (LEEP and NCE need them; a backbone without its head has none).
 */
export interface SourceProbabilities {
  readonly count: number;
  readonly sourceClasses: number;
  readonly values: Float32Array | Float64Array;
}

/** Refuses inputs on which every estimator would be meaningless, with the field named. */
export function checkLabelledFeatures(f: LabelledFeatures): void {
  if (!Number.isInteger(f.count) || f.count < 2)
    throw invalid(`estimators need at least two images, got ${f.count}`, [
      { field: 'features', message: 'at least 2 rows' },
    ]);
  if (!Number.isInteger(f.dimension) || f.dimension < 1)
    throw invalid(`feature dimension must be positive, got ${f.dimension}`, [
      { field: 'features', message: 'at least 1 column' },
    ]);
  if (f.values.length !== f.count * f.dimension)
    throw invalid(`features hold ${f.values.length} values, expected ${f.count} x ${f.dimension}`, [
      { field: 'features', message: 'N x D values' },
    ]);
  if (f.labels.length !== f.count)
    throw invalid(`${f.labels.length} labels for ${f.count} images`, [{ field: 'labels', message: 'one per image' }]);
  if (!Number.isInteger(f.classes) || f.classes < 2)
    throw invalid(`estimators need at least two classes, got ${f.classes}`, [
      { field: 'labels', message: 'at least 2 classes' },
    ]);
  const seen = new Uint8Array(f.classes);
  for (const y of f.labels) {
    if (!(y >= 0 && y < f.classes))
      throw invalid(`label ${y} outside 0..${f.classes - 1}`, [{ field: 'labels', message: `0..${f.classes - 1}` }]);
    seen[y] = 1;
  }
  const missing = seen.indexOf(0);
  if (missing >= 0)
    throw invalid(`class ${missing} has no image`, [{ field: 'labels', message: 'every class present' }]);
  for (const x of f.values)
    if (!Number.isFinite(x))
      throw invalid('features contain a non-finite value', [{ field: 'features', message: 'finite values' }]);
}

export function checkSourceProbabilities(f: LabelledFeatures, p: SourceProbabilities): void {
  if (p.count !== f.count)
    throw invalid(`${p.count} rows of source probabilities for ${f.count} images`, [
      { field: 'source_probabilities', message: 'one row per image' },
    ]);
  if (!Number.isInteger(p.sourceClasses) || p.sourceClasses < 1 || p.values.length !== p.count * p.sourceClasses) {
    throw invalid(`source probabilities hold ${p.values.length} values, expected ${p.count} x ${p.sourceClasses}`, [
      { field: 'source_probabilities', message: 'N x Z values' },
    ]);
  }
  for (let i = 0; i < p.count; i++) {
    let sum = 0;
    for (let z = 0; z < p.sourceClasses; z++) {
      const q = p.values[i * p.sourceClasses + z]!;
      if (!(q >= 0))
        throw invalid(`source probability row ${i} has a negative or missing value`, [
          { field: 'source_probabilities', message: 'probabilities' },
        ]);
      sum += q;
    }
    if (Math.abs(sum - 1) > 1e-3)
      throw invalid(`source probability row ${i} sums to ${sum}, not 1`, [
        { field: 'source_probabilities', message: 'rows sum to 1' },
      ]);
  }
}

/** Class sizes n_c. */
export function classCounts(labels: Int32Array, classes: number): Float64Array {
  const n = new Float64Array(classes);
  for (const y of labels) n[y] = n[y]! + 1;
  return n;
}
