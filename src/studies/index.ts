export {
  parseStudy,
  checkStudyIds,
  checkSignalName,
  type Study,
  type StudyFolder,
  type StudyRun,
  type StudySignal,
  type StudySpread,
  type StudyEmbeddings,
  type KnownIds,
} from './parse.js';
export {
  studyFileSchema,
  backboneSchema,
  STUDY_METRICS,
  type StudyFile,
  type StudyMetric,
  type StudyProtocol,
  type CandidateSet,
  type Backbone,
} from './schema.js';
export {
  SIGNAL_CATALOGUE,
  SIGNAL_NAME,
  signalBase,
  signalDefinition,
  type SignalDefinition,
  type SubjectKind,
  type Direction,
} from './signals.js';
export { readStudyFolder } from './folder.js';
export { checkSignalRows, checkSignalIds, signalsFromCsv, type SignalRow, type RawSignal } from './signal-import.js';
