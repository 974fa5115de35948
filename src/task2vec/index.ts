export {
  embed,
  embedParallel,
  cacheFeatures,
  montecarloFisher,
  exactFisher,
  type Task2VecProgress,
  type Task2VecStage,
  type ProgressCallback,
  type ParallelRun,
} from './task2vec.js';
export type { ProbeSource } from './pool.js';
export { timedInputs, type Task2VecEngine } from './engine.js';
export type { ComparableEmbedding, Task2VecEmbedding, StageTimes } from './embedding.js';
export { DEFAULT_OPTIONS, resolveOptions, type Task2VecOptions, type Task2VecOptionsInput } from './options.js';
export {
  FISHER_METHODS,
  planMontecarlo,
  filterwiseSquaredGradients,
  embeddingLength,
  type FisherMethod,
  type InputBatch,
  type MontecarloPlan,
} from './fisher.js';
export {
  initClassifier,
  fitClassifier,
  classifierLogits,
  type Classifier,
  type ClassifierOptions,
} from './classifier.js';
export { checkLabelledImages, indexClasses, type LabelledImages, type ClassIndex } from './images.js';
export { preprocess } from './preprocess.js';
export { createRng, deriveSeed, uniformSampler, classBalancedSampler, type Rng, type IndexSampler } from './random.js';
export {
  DISTANCE_NAMES,
  DISTANCE_CHOICES,
  trivialEmbedding,
  DEFAULT_ALPHA,
  distance,
  asymmetricDistance,
  distanceMatrix,
  asymmetricDistanceMatrix,
  assertComparable,
  checkEmbedding,
  type DistanceName,
  type DistanceChoice,
  type DistanceMatrix,
  type AsymmetricOptions,
} from './distance.js';
