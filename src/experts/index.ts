export * from './vocabulary.js';
export { parseExpertFeatures, type ObserverAnswer } from './answers.js';
export { majorityVote, countAnswers, type MajorityVote, type PropertyVote } from './vote.js';
export { fleissKappa, agreementPerProperty, type Agreement } from './agreement.js';
export {
  hammingDistance,
  expertDistance,
  parsePublishedExpertDistances,
  PublishedExpertDistances,
  type PublishedExpertDistance,
  type ExpertDistance,
  type ExpertDistanceSource,
} from './distance.js';
export { classBandOf, expertFeaturesFromData } from './derived.js';
