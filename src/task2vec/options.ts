import { invalid } from '../errors.js';
import { FISHER_METHODS, type FisherMethod } from './fisher.js';
import { withDefaults } from '../defaults.js';

/**
 * Defaults are those of the Task2Vec reference implementation and of the cats-scans study
 * (meta.json of its embeddings): Adam at 4e-4 with weight decay 1e-4 for 10 epochs, batches
 * of 100, 10,000 class-balanced samples per epoch, one Monte Carlo Fisher epoch.
 */
export interface Task2VecOptions {
  readonly method: FisherMethod;
  readonly seed: number;
  /** Batch size of every stage: feature caching, head fitting and the Fisher pass. */
  readonly batchSize: number;
  /** Images drawn per epoch, with replacement, by the head fitting and the Monte Carlo Fisher. */
  readonly samples: number;
  /** Draw each class equally often (the reference's sampler) rather than each image. */
  readonly balanced: boolean;
  readonly fisherEpochs: number;
  readonly classifier: {
    readonly epochs: number;
    readonly learningRate: number;
    readonly weightDecay: number;
  };
}

export const DEFAULT_OPTIONS: Task2VecOptions = {
  method: 'montecarlo',
  seed: 0,
  batchSize: 100,
  samples: 10_000,
  balanced: true,
  fisherEpochs: 1,
  classifier: { epochs: 10, learningRate: 4e-4, weightDecay: 1e-4 },
};

export type Task2VecOptionsInput = Partial<Omit<Task2VecOptions, 'classifier'>> & {
  readonly classifier?: Partial<Task2VecOptions['classifier']>;
};

function positiveInteger(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 1)
    throw invalid(`${field} must be a positive integer, got ${value}`, [{ field, message: 'positive integer' }]);
}

function nonNegativeNumber(value: number, field: string): void {
  if (!Number.isFinite(value) || value < 0)
    throw invalid(`${field} must be a finite non-negative number, got ${value}`, [{ field, message: 'finite, >= 0' }]);
}

/** Fills defaults and refuses values that would silently produce a meaningless embedding. */
export function resolveOptions(input: Task2VecOptionsInput = {}): Task2VecOptions {
  const options = withDefaults(DEFAULT_OPTIONS, {
    ...input,
    classifier: withDefaults(DEFAULT_OPTIONS.classifier, input.classifier ?? {}),
  });
  if (!FISHER_METHODS.includes(options.method)) {
    throw invalid(`unknown Fisher method '${String(options.method)}'; expected one of ${FISHER_METHODS.join(', ')}`, [
      { field: 'method', message: FISHER_METHODS.join(' | ') },
    ]);
  }
  if (!Number.isSafeInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff) {
    throw invalid(`seed must be an integer in 0..4294967295, got ${options.seed}`, [
      { field: 'seed', message: 'uint32' },
    ]);
  }
  positiveInteger(options.batchSize, 'batchSize');
  positiveInteger(options.samples, 'samples');
  positiveInteger(options.fisherEpochs, 'fisherEpochs');
  positiveInteger(options.classifier.epochs, 'classifier.epochs');
  nonNegativeNumber(options.classifier.learningRate, 'classifier.learningRate');
  nonNegativeNumber(options.classifier.weightDecay, 'classifier.weightDecay');
  if (typeof options.balanced !== 'boolean')
    throw invalid('balanced must be a boolean', [{ field: 'balanced', message: 'boolean' }]);
  return options;
}
