import { invalid, type FieldError } from '../errors.js';
import { z } from 'zod';
import {
  CLASS_BANDS,
  COLOURS,
  CONTENTS,
  DIVERSITIES,
  EXPERT_PROPERTIES,
  KINDS,
  ORIGINS,
  type ExpertFeatures,
} from './vocabulary.js';

/** One observer's questionnaire for one dataset. */
export interface ObserverAnswer {
  readonly dataset: string;
  readonly observer: string;
  readonly features: ExpertFeatures;
}

function allowedValues<const T extends readonly [string, ...string[]]>(allowed: T) {
  return z.enum(allowed, {
    error: (issue) =>
      `${issue.input === undefined ? 'missing' : `'${String(issue.input)}' is not allowed`}; one of ${allowed.join(', ')}`,
  });
}

const featuresSchema = z.strictObject(
  {
    origin: allowedValues(ORIGINS),
    colour: allowedValues(COLOURS),
    content: allowedValues(CONTENTS),
    kind: allowedValues(KINDS),
    diversity: allowedValues(DIVERSITIES),
    classes: allowedValues(CLASS_BANDS),
  },
  { error: 'expert features must be an object with the six questionnaire properties' },
);

/** Zod reports every unknown key in one issue; callers see one field error per key. */
function fieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((k) => ({
          field: k,
          message: `unknown property; the properties are ${EXPERT_PROPERTIES.join(', ')}`,
        }))
      : [{ field: issue.path.map(String).join('.'), message: issue.message }],
  );
}

/**
 * Checks an untyped answer (a request body, a CSV row) against the closed vocabulary and
 * reports every wrong field at once, each with the values it allows.
 */
export function parseExpertFeatures(input: unknown): ExpertFeatures {
  const parsed = featuresSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = fieldErrors(parsed.error.issues);
  if (problems.length === 1 && problems[0]!.field === '')
    throw invalid(problems[0]!.message, [{ field: 'features', message: 'object' }]);
  throw invalid(`invalid expert features: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
}
