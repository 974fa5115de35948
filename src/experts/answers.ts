import { invalid, type FieldError } from '../errors.js';
import { EXPERT_PROPERTIES, VOCABULARY, type ExpertFeatures } from './vocabulary.js';

/** One observer's questionnaire for one dataset. */
export interface ObserverAnswer {
  readonly dataset: string;
  readonly observer: string;
  readonly features: ExpertFeatures;
}

/**
 * Checks an untyped answer (a request body, a CSV row) against the closed vocabulary and
 * reports every wrong field at once, each with the values it allows.
 */
export function parseExpertFeatures(input: unknown): ExpertFeatures {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid('expert features must be an object with the six questionnaire properties', [
      { field: 'features', message: 'object' },
    ]);
  }
  const record = input as Record<string, unknown>;
  const problems: FieldError[] = [];
  for (const property of EXPERT_PROPERTIES) {
    const allowed = VOCABULARY[property] as readonly string[];
    const value = record[property];
    if (typeof value !== 'string' || !allowed.includes(value)) {
      problems.push({
        field: property,
        message: `${value === undefined ? 'missing' : `'${String(value)}' is not allowed`}; one of ${allowed.join(', ')}`,
      });
    }
  }
  const extra = Object.keys(record).filter((k) => !(EXPERT_PROPERTIES as readonly string[]).includes(k));
  for (const k of extra)
    problems.push({ field: k, message: `unknown property; the properties are ${EXPERT_PROPERTIES.join(', ')}` });
  if (problems.length > 0) {
    throw invalid(`invalid expert features: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
  }
  const pick = <P extends keyof ExpertFeatures>(p: P): ExpertFeatures[P] => record[p] as ExpertFeatures[P];
  return {
    origin: pick('origin'),
    colour: pick('colour'),
    content: pick('content'),
    kind: pick('kind'),
    diversity: pick('diversity'),
    classes: pick('classes'),
  };
}
