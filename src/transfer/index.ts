export type { Metric, Protocol, Provenance, StoredResult, TransferResult } from './types.js';
export { BASELINE_SOURCE_SPELLING, METRICS } from './types.js';
export { provenanceOf, referenceOf } from './provenance.js';
export { validateBatch, validateContribution } from './validate.js';
export type { Validation, ValidationContext } from './validate.js';
export { comparableKey, duplicateKey, protocolKey } from './keys.js';
export {
  isBaseline,
  matchingBaselines,
  pairTransferabilities,
  transferability,
  transferabilityTable,
} from './transferability.js';
export type {
  NoTransferabilityReason,
  PairTransferability,
  Transferability,
  TransferabilityRow,
} from './transferability.js';
export { contributionsFromCsv } from './csv.js';
export type { CsvContributions, CsvDefaults } from './csv.js';
