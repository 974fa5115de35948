import type { ClassBand, ExpertFeatures } from './vocabulary.js';

/** The questionnaire's class-count band of a dataset with `classes` classes. */
export function classBandOf(classes: number): ClassBand {
  if (!Number.isInteger(classes) || classes < 2)
    throw new RangeError(`a dataset has at least 2 classes, got ${classes}`);
  if (classes === 2) return '2';
  if (classes <= 10) return '3-10';
  if (classes <= 100) return '11-100';
  return 'over-100';
}

/**
 * The questionnaire answers the images settle by themselves: colour from the stored channels and
 * the class band from the class count. Origin, content, kind and diversity need someone who knows
 * what the images show.
 */
export function expertFeaturesFromData(channels: 1 | 3, classes: number): Pick<ExpertFeatures, 'colour' | 'classes'> {
  return { colour: channels === 1 ? 'grey' : 'colour', classes: classBandOf(classes) };
}
