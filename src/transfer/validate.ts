/**
 * Validation of contributed transfer results. Input is untrusted JSON (API body, parsed CSV);
 * the outcome is either a normalised TransferResult or every field-level problem found, never a throw.
 */
import {
  BASELINE_SOURCE_SPELLING,
  METRICS,
  type FieldError,
  type Metric,
  type Protocol,
  type Provenance,
  type TransferResult,
} from './types.js';
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
const MAX_NOTES = 2000;
/** Missing folds are named one by one up to this many; past it only counted. */
const MAX_MISSING_LISTED = 20;

type Input = Record<string, unknown>;

function isRecord(v: unknown): v is Input {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function join(prefix: string, field: string): string {
  return prefix === '' ? field : `${prefix}.${field}`;
}

function nonEmptyString(v: unknown, path: string, errors: FieldError[]): string | undefined {
  if (typeof v !== 'string' || v.trim() === '') {
    errors.push({ path, message: 'required, a non-empty string' });
    return undefined;
  }
  return v.trim();
}

function optionalPositiveInt(v: unknown, path: string, errors: FieldError[]): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    errors.push({ path, message: `must be a positive integer, got ${JSON.stringify(v)}` });
    return undefined;
  }
  return v;
}

function validateProtocol(v: unknown, path: string, errors: FieldError[]): Protocol | undefined {
  if (!isRecord(v)) {
    errors.push({ path, message: 'required, an object with folds and metric' });
    return undefined;
  }
  const before = errors.length;
  const folds = v['folds'];
  if (typeof folds !== 'number' || !Number.isInteger(folds) || folds < 1) {
    errors.push({
      path: join(path, 'folds'),
      message: `must be a positive integer number of folds, got ${JSON.stringify(folds)}`,
    });
  }
  const metric = v['metric'];
  if (!METRICS.includes(metric as Metric)) {
    errors.push({
      path: join(path, 'metric'),
      message: `must be one of ${METRICS.join(', ')}, got ${JSON.stringify(metric)}`,
    });
  }
  const imageSize = optionalPositiveInt(v['imageSize'], join(path, 'imageSize'), errors);
  const epochs = optionalPositiveInt(v['epochs'], join(path, 'epochs'), errors);
  const notesRaw = v['notes'];
  let notes: string | undefined;
  if (notesRaw !== undefined && notesRaw !== null) {
    if (typeof notesRaw !== 'string' || notesRaw.length > MAX_NOTES) {
      errors.push({ path: join(path, 'notes'), message: `must be a string of at most ${MAX_NOTES} characters` });
    } else if (notesRaw.trim() !== '') notes = notesRaw.trim();
  }
  if (errors.length > before) return undefined;
  return {
    folds: folds as number,
    metric: metric as Metric,
    ...(imageSize !== undefined ? { imageSize } : {}),
    ...(epochs !== undefined ? { epochs } : {}),
    ...(notes !== undefined ? { notes } : {}),
  };
}

/**
 * Folds arrive as `[{fold: 1, value: 0.93}, ...]` (explicit numbers, so a gap is visible) or as a plain
 * array of values taken as folds 1..n. Either way they must be exactly folds 1..protocol.folds.
 */
function validateFolds(
  v: unknown,
  expected: number | undefined,
  path: string,
  errors: FieldError[],
): number[] | undefined {
  if (!Array.isArray(v) || v.length === 0) {
    errors.push({ path, message: 'required, a non-empty array of {fold, value} or of values' });
    return undefined;
  }
  const before = errors.length;
  const byFold = new Map<number, number>();
  v.forEach((entry: unknown, i) => {
    const at = `${path}[${i}]`;
    let fold: unknown = i + 1;
    let value: unknown = entry;
    if (isRecord(entry)) {
      fold = entry['fold'];
      value = entry['value'];
      if (typeof fold !== 'number' || !Number.isInteger(fold) || fold < 1) {
        errors.push({ path: `${at}.fold`, message: `must be a fold number from 1, got ${JSON.stringify(fold)}` });
        return;
      }
    }
    const valuePath = isRecord(entry) ? `${at}.value` : at;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      errors.push({ path: valuePath, message: `metric value must be a number, got ${JSON.stringify(value)}` });
    } else if (value < 0 || value > 1) {
      errors.push({ path: valuePath, message: `metric value must lie in [0, 1], got ${value}` });
    }
    const n = fold as number;
    if (byFold.has(n)) errors.push({ path: `${at}.fold`, message: `fold ${n} appears more than once` });
    else byFold.set(n, value as number);
  });
  if (expected !== undefined && expected - v.length > MAX_MISSING_LISTED) {
    // Never enumerate the missing folds of a count the sender made up: 2^31 - 1 of them exhaust memory.
    errors.push({ path, message: `protocol has ${expected} folds but only ${v.length} were given` });
  } else if (expected !== undefined) {
    const missing: number[] = [];
    for (let f = 1; f <= expected; f++) if (!byFold.has(f)) missing.push(f);
    if (missing.length > 0)
      errors.push({
        path,
        message: `protocol has ${expected} folds but fold${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing`,
      });
    const extra = [...byFold.keys()].filter((f) => f > expected).sort((a, b) => a - b);
    if (extra.length > 0)
      errors.push({
        path,
        message: `protocol has ${expected} folds but fold${extra.length > 1 ? 's' : ''} ${extra.join(', ')} ${extra.length > 1 ? 'were' : 'was'} given`,
      });
  }
  if (errors.length > before || expected === undefined) return undefined;
  return Array.from({ length: expected }, (_, i) => byFold.get(i + 1)!);
}

function validateProvenance(
  v: unknown,
  path: string,
  context: ValidationContext,
  errors: FieldError[],
): Provenance | undefined {
  const body = isRecord(v) ? v : {};
  if (v !== undefined && v !== null && !isRecord(v)) {
    errors.push({ path, message: 'must be an object with contributor and optionally doi or url' });
    return undefined;
  }
  const before = errors.length;
  const contributor = context.contributor ?? nonEmptyString(body['contributor'], join(path, 'contributor'), errors);
  let doi: string | undefined;
  if (body['doi'] !== undefined && body['doi'] !== null && body['doi'] !== '') {
    const raw = body['doi'];
    const stripped = typeof raw === 'string' ? raw.trim().replace(/^https?:\/\/(dx\.)?doi\.org\//i, '') : '';
    if (!DOI.test(stripped))
      errors.push({ path: join(path, 'doi'), message: `not a DOI (expected 10.NNNN/...), got ${JSON.stringify(raw)}` });
    else doi = stripped;
  }
  let url: string | undefined;
  if (body['url'] !== undefined && body['url'] !== null && body['url'] !== '') {
    const raw = body['url'];
    let parsed: URL | undefined;
    try {
      parsed = typeof raw === 'string' ? new URL(raw.trim()) : undefined;
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
      errors.push({ path: join(path, 'url'), message: `must be an http(s) URL, got ${JSON.stringify(raw)}` });
    } else url = parsed.toString();
  }
  if (errors.length > before || contributor === undefined) return undefined;
  return { contributor, ...(doi !== undefined ? { doi } : {}), ...(url !== undefined ? { url } : {}) };
}

function validateDatasetId(
  v: unknown,
  path: string,
  context: ValidationContext,
  errors: FieldError[],
): string | undefined {
  const id = nonEmptyString(v, path, errors);
  if (id !== undefined && context.isKnownDataset && !context.isKnownDataset(id)) {
    errors.push({ path, message: `unknown dataset '${id}'` });
    return undefined;
  }
  return id;
}

/** Validates one contribution; `path` prefixes every error path (used for batches). */
export function validateContribution(
  input: unknown,
  context: ValidationContext = {},
  path = '',
): Validation<TransferResult> {
  const errors: FieldError[] = [];
  if (!isRecord(input))
    return { ok: false, errors: [{ path: path === '' ? '(root)' : path, message: 'a result must be an object' }] };
  const target = validateDatasetId(input['target'], join(path, 'target'), context, errors);
  const rawSource = input['source'];
  let source: string | null | undefined;
  const sourceText = typeof rawSource === 'string' ? rawSource.trim() : rawSource;
  if (sourceText === null || (typeof sourceText === 'string' && sourceText.toLowerCase() === BASELINE_SOURCE_SPELLING))
    source = null;
  else if (typeof sourceText === 'string' && target !== undefined && sourceText === target) source = null;
  else source = validateDatasetId(rawSource, join(path, 'source'), context, errors);
  const architecture = nonEmptyString(input['architecture'], join(path, 'architecture'), errors);
  const protocol = validateProtocol(input['protocol'], join(path, 'protocol'), errors);
  const foldValues = validateFolds(input['folds'], protocol?.folds, join(path, 'folds'), errors);
  const provenance = validateProvenance(input['provenance'], join(path, 'provenance'), context, errors);
  if (
    errors.length > 0 ||
    target === undefined ||
    source === undefined ||
    architecture === undefined ||
    protocol === undefined ||
    foldValues === undefined ||
    provenance === undefined
  ) {
    return { ok: false, errors };
  }
  return { ok: true, value: { source, target, architecture, protocol, foldValues, provenance } };
}

/**
 * Validates a batch as a unit: it is accepted only if every item is valid and no two items duplicate
 * each other, so the caller can store all or nothing. Duplicates of already stored results are the
 * caller's check (compare duplicateKey against the store).
 */
export function validateBatch(inputs: unknown, context: ValidationContext = {}): Validation<TransferResult[]> {
  if (!Array.isArray(inputs))
    return { ok: false, errors: [{ path: '(root)', message: 'a batch must be an array of results' }] };
  if (inputs.length === 0)
    return { ok: false, errors: [{ path: '(root)', message: 'a batch must hold at least one result' }] };
  const errors: FieldError[] = [];
  const values: TransferResult[] = [];
  const seen = new Map<string, number>();
  inputs.forEach((item, i) => {
    const outcome = validateContribution(item, context, `[${i}]`);
    if (!outcome.ok) {
      errors.push(...outcome.errors);
      return;
    }
    const key = duplicateKey(outcome.value);
    const first = seen.get(key);
    if (first !== undefined)
      errors.push({
        path: `[${i}]`,
        message: `duplicates result [${first}] (same source, target, architecture, protocol and values)`,
      });
    else seen.set(key, i);
    values.push(outcome.value);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: values };
}
