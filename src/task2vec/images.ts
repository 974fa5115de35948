import { AppError, invalid } from '../errors.js';
import type { LabelledImages } from '../images/index.js';

export type { LabelledImages };

/** Labels renumbered 0..classCount-1 in increasing order of the original label. */
export interface ClassIndex {
  readonly classCount: number;
  readonly labels: Int32Array;
  /** originalLabels[k] is the dataset's label for class index k. */
  readonly originalLabels: readonly number[];
  readonly perClass: readonly number[];
}

function checkSizes(images: Omit<LabelledImages, 'pixels' | 'labels'>): void {
  const { count, height, width, channels } = images;
  for (const [name, v] of [
    ['count', count],
    ['height', height],
    ['width', width],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw invalid(`dataset '${images.id}': ${name} must be a positive integer, got ${v}`);
  }
  if (channels !== 1 && channels !== 3)
    throw invalid(`dataset '${images.id}': images must have 1 or 3 channels, got ${String(channels)}`);
}

function checkLabels(images: Pick<LabelledImages, 'id' | 'count' | 'labels'>): void {
  const { count, labels } = images;
  if (labels.length !== count) throw invalid(`dataset '${images.id}': ${labels.length} labels for ${count} images`);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! < 0) throw invalid(`dataset '${images.id}': label ${labels[i]} of image ${i} is negative`);
  }
}

/** Counts, sizes, channels and labels of a dataset whose pixels are streamed rather than held. */
export function checkImageShape(images: Omit<LabelledImages, 'pixels'>): void {
  checkSizes(images);
  checkLabels(images);
}

export function checkLabelledImages(images: LabelledImages): void {
  checkSizes(images);
  const { count, height, width, channels, pixels } = images;
  const expected = count * height * width * channels;
  if (pixels.length !== expected) {
    throw invalid(
      `dataset '${images.id}': ${pixels.length} pixel bytes for ${count} images of ${height}x${width}x${channels} (expected ${expected})`,
    );
  }
  checkLabels(images);
}

/**
 * Classes absent from the data get no output in the head: an output that never sees an example
 * could only learn to be suppressed, and would still be drawn now and then in the Fisher pass.
 * A dataset with a single class has no classification task, hence no Fisher information to
 * speak of, and is refused.
 */
export function indexClasses(images: Pick<LabelledImages, 'id' | 'labels'>): ClassIndex {
  const counts = new Map<number, number>();
  for (const label of images.labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  const originalLabels = [...counts.keys()].sort((a, b) => a - b);
  if (originalLabels.length < 2) {
    throw new AppError(
      'unprocessable',
      'One-class dataset',
      `dataset '${images.id}' has ${originalLabels.length === 0 ? 'no labels' : `a single class (label ${originalLabels[0]})`}; ` +
        'a Task2Vec embedding needs at least two classes, because it measures what a classifier between them relies on',
    );
  }
  const toIndex = new Map(originalLabels.map((label, k) => [label, k]));
  const labels = images.labels.map((label) => toIndex.get(label)!);
  return {
    classCount: originalLabels.length,
    labels,
    originalLabels,
    perClass: originalLabels.map((l) => counts.get(l)!),
  };
}
