/**
 * Validation of contributed transfer results. Input is untrusted JSON in the form the API and the
 * results files write it (snake_case protocol, folds as `{fold, value}` or plain values); the outcome
 * is either a TransferResult or every field-level problem found, never a throw. Error fields are
 * paths such as `[2].folds[3].value` or `protocol.metric`, which each edge renames for its caller.
 */
import { z } from 'zod';
import { definedOnly } from '../defaults.js';
import type { FieldError } from '../errors.js';
import { BASELINE_SOURCE_SPELLING, METRICS, type TransferResult } from './types.js';
import { duplicateKey } from './keys.js';

export type Validation<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly FieldError[] };

export interface ValidationContext {
  /** When given, source and target must be known dataset ids. */
  readonly isKnownDataset?: (id: string) => boolean;
  /** Fills provenance.contributor when the caller authenticated the sender (takes precedence over the body). */
  readonly contributor?: string;
}

const DOI = /^10\.\d{4,9}\/\S+$/;
const DOI_RESOLVER = /^https?:\/\/(dx\.)?doi\.org\//i;
const MAX_NOTES = 2000;
/** Missing folds are named one by one up to this many; past it only counted. */
const MAX_MISSING_LISTED = 20;

const shown = (value: unknown): string => String(JSON.stringify(value));
const absent = (value: unknown): unknown => (value === null || value === '' ? undefined : value);

const nonEmptyString = z
  .string({ error: 'required, a non-empty string' })
  .trim()
  .min(1, { error: 'required, a non-empty string' });

function positiveInt(what: string) {
  const error = (issue: { input?: unknown }) => `must be a positive ${what}, got ${shown(issue.input)}`;
  return z.int({ error }).min(1, { error });
}

const optionalPositiveInt = z.preprocess(absent, positiveInt('integer').optional());

const protocolSchema = z.object(
  {
    folds: positiveInt('integer number of folds'),
    metric: z.enum(METRICS, { error: (issue) => `must be one of ${METRICS.join(', ')}, got ${shown(issue.input)}` }),
    image_size: optionalPositiveInt,
    epochs: optionalPositiveInt,
    notes: z
      .string({ error: `must be a string of at most ${MAX_NOTES} characters` })
      .max(MAX_NOTES, { error: `must be a string of at most ${MAX_NOTES} characters` })
      .nullish()
      .transform((notes) => (notes?.trim() ? notes.trim() : undefined)),
  },
  { error: 'required, an object with folds and metric' },
);

const metricValue = z
  .number({ error: (issue) => `metric value must be a number, got ${shown(issue.input)}` })
  .min(0, { error: (issue) => `metric value must lie in [0, 1], got ${String(issue.input)}` })
  .max(1, { error: (issue) => `metric value must lie in [0, 1], got ${String(issue.input)}` });

/**
 * Folds arrive as `[{fold: 1, value: 0.93}, ...]` (explicit numbers, so a gap is visible) or as a plain
 * array of values taken as folds 1..n; whether they are exactly folds 1..protocol.folds is checked
 * once the protocol is known to be valid.
 */
const foldEntry = z.object({
  fold: z
    .int({ error: (issue) => `must be a fold number from 1, got ${shown(issue.input)}` })
    .min(1, { error: (issue) => `must be a fold number from 1, got ${shown(issue.input)}` }),
  value: metricValue,
});

// A union would report an object with a bad fold as matching neither form; the entry's own type picks its form.
const foldsSchema = z
  .array(
    z.unknown().transform((entry, ctx) => {
      const parsed =
        typeof entry === 'object' && entry !== null && !Array.isArray(entry)
          ? foldEntry.safeParse(entry)
          : metricValue.safeParse(entry);
      if (parsed.success) return parsed.data;
      for (const issue of parsed.error.issues)
        ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
      return z.NEVER;
    }),
    { error: 'required, a non-empty array of {fold, value} or of values' },
  )
  .min(1, { error: 'required, a non-empty array of {fold, value} or of values' });

const doiSchema = z.preprocess(
  absent,
  z
    .string({ error: (issue) => `not a DOI (expected 10.NNNN/...), got ${shown(issue.input)}` })
    .refine((raw) => DOI.test(raw.trim().replace(DOI_RESOLVER, '')), {
      error: (issue) => `not a DOI (expected 10.NNNN/...), got ${shown(issue.input)}`,
    })
    .transform((raw) => raw.trim().replace(DOI_RESOLVER, ''))
    .optional(),
);

function httpUrl(raw: string): URL | undefined {
  try {
    const url = new URL(raw.trim());
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

const urlSchema = z.preprocess(
  absent,
  z
    .string({ error: (issue) => `must be an http(s) URL, got ${shown(issue.input)}` })
    .refine((raw) => httpUrl(raw) !== undefined, {
      error: (issue) => `must be an http(s) URL, got ${shown(issue.input)}`,
    })
    .transform((raw) => httpUrl(raw)!.toString())
    .optional(),
);

/** Folds by number, in order 1..n, or the problems with their numbering. */
function numberedFolds(
  entries: readonly (number | { fold: number; value: number })[],
  expected: number,
  ctx: z.RefinementCtx,
): number[] {
  const byFold = new Map<number, number>();
  entries.forEach((entry, i) => {
    const [fold, value] = typeof entry === 'number' ? [i + 1, entry] : [entry.fold, entry.value];
    if (byFold.has(fold))
      ctx.addIssue({ code: 'custom', path: ['folds', i, 'fold'], message: `fold ${fold} appears more than once` });
    else byFold.set(fold, value);
  });
  if (expected - entries.length > MAX_MISSING_LISTED) {
    // Never enumerate the missing folds of a count the sender made up: 2^31 - 1 of them exhaust memory.
    ctx.addIssue({
      code: 'custom',
      path: ['folds'],
      message: `protocol has ${expected} folds but only ${entries.length} were given`,
    });
    return [];
  }
  const foldCount = (folds: number[], present: string, past: string): void => {
    if (folds.length === 0) return;
    const many = folds.length > 1;
    ctx.addIssue({
      code: 'custom',
      path: ['folds'],
      message: `protocol has ${expected} folds but fold${many ? 's' : ''} ${folds.join(', ')} ${many ? present : past}`,
    });
  };
  foldCount(
    Array.from({ length: expected }, (_, i) => i + 1).filter((f) => !byFold.has(f)),
    'are missing',
    'is missing',
  );
  foldCount(
    [...byFold.keys()].filter((f) => f > expected).sort((a, b) => a - b),
    'were given',
    'was given',
  );
  return Array.from({ length: expected }, (_, i) => byFold.get(i + 1)!);
}

/** The contribution schema for one context: which datasets exist, and who sends the results. */
function contributionSchema(context: ValidationContext) {
  const known = (id: string, ctx: z.RefinementCtx): void => {
    if (context.isKnownDataset && !context.isKnownDataset(id))
      ctx.addIssue({ code: 'custom', message: `unknown dataset '${id}'` });
  };
  // A baseline may be written null, "none" (any case) or as its own target.
  const source = z
    .preprocess(
      (v) => (typeof v === 'string' && v.trim().toLowerCase() === BASELINE_SOURCE_SPELLING ? null : v),
      nonEmptyString.nullable(),
    )
    .superRefine((id, ctx) => {
      if (id !== null) known(id, ctx);
    });
  const provenance = z.preprocess(
    (v) => v ?? {},
    z.object(
      {
        contributor:
          context.contributor === undefined
            ? nonEmptyString
            : z
                .unknown()
                .optional()
                .transform(() => context.contributor!),
        doi: doiSchema,
        url: urlSchema,
      },
      { error: 'must be an object with contributor and optionally doi or url' },
    ),
  );
  return z
    .object(
      {
        target: nonEmptyString.superRefine(known),
        source,
        architecture: nonEmptyString,
        protocol: protocolSchema,
        folds: foldsSchema,
        provenance,
      },
      { error: 'a result must be an object' },
    )
    .transform((input, ctx): TransferResult => {
      const { protocol } = input;
      return {
        source: input.source === input.target ? null : input.source,
        target: input.target,
        architecture: input.architecture,
        protocol: definedOnly({
          folds: protocol.folds,
          metric: protocol.metric,
          imageSize: protocol.image_size,
          epochs: protocol.epochs,
          notes: protocol.notes,
        }),
        foldValues: numberedFolds(input.folds, protocol.folds, ctx),
        provenance: definedOnly(input.provenance),
      };
    });
}

/** `[0].folds[2].value`: array indices in brackets, keys after dots, behind the batch prefix. */
function pathOf(prefix: string, path: readonly PropertyKey[]): string {
  const joined = path.reduce<string>(
    (at, key) => (typeof key === 'number' ? `${at}[${key}]` : at === '' ? String(key) : `${at}.${String(key)}`),
    prefix,
  );
  return joined === '' ? '(root)' : joined;
}

function parse(
  schema: ReturnType<typeof contributionSchema>,
  input: unknown,
  prefix: string,
): Validation<TransferResult> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((issue) => ({ field: pathOf(prefix, issue.path), message: issue.message })),
  };
}

/** Validates one contribution. */
export function validateContribution(input: unknown, context: ValidationContext = {}): Validation<TransferResult> {
  return parse(contributionSchema(context), input, '');
}

const batchSchema = z
  .array(z.unknown(), { error: 'a batch must be an array of results' })
  .min(1, { error: 'a batch must hold at least one result' });

/**
 * Validates a batch as a unit: it is accepted only if every item is valid and no two items duplicate
 * each other, so the caller can store all or nothing. Duplicates of already stored results are the
 * caller's check (compare duplicateKey against the store).
 */
export function validateBatch(inputs: unknown, context: ValidationContext = {}): Validation<TransferResult[]> {
  const batch = batchSchema.safeParse(inputs);
  if (!batch.success) return { ok: false, errors: [{ field: '(root)', message: batch.error.issues[0]!.message }] };
  const schema = contributionSchema(context);
  const errors: FieldError[] = [];
  const values: TransferResult[] = [];
  const seen = new Map<string, number>();
  batch.data.forEach((item, i) => {
    const outcome = parse(schema, item, `[${i}]`);
    if (!outcome.ok) {
      errors.push(...outcome.errors);
      return;
    }
    const key = duplicateKey(outcome.value);
    const first = seen.get(key);
    if (first !== undefined)
      errors.push({
        field: `[${i}]`,
        message: `duplicates result [${first}] (same source, target, architecture, protocol and values)`,
      });
    else seen.set(key, i);
    values.push(outcome.value);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: values };
}
