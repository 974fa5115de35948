/**
 * Shared pieces of the property-based tests of every parser of outside input.
 *
 * Runs per property: TA_FUZZ_RUNS (default 100, which keeps `npm test` short); `npm run fuzz` asks for many more.
 * Seed: TA_FUZZ_SEED (a number), or `random` for a fresh one, printed so that a failure can be replayed; by default
 * a fixed seed, so that the short run in CI explores the same inputs every time. fast-check's own failure
 * message also names the seed and the path of the shrunk counterexample.
 */
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { AppError, ERROR_CODES } from '../../src/errors.js';

const runs = Number(process.env.TA_FUZZ_RUNS ?? 100);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`TA_FUZZ_RUNS must be a positive integer, not ${runs}`);

const seedSetting = process.env.TA_FUZZ_SEED ?? '20261201';
const seed = seedSetting === 'random' ? randomInt(2 ** 31 - 1) : Number(seedSetting);
if (!Number.isInteger(seed)) throw new Error(`TA_FUZZ_SEED must be an integer or 'random', not ${seedSetting}`);
if (seedSetting === 'random') console.log(`fuzz seed ${seed} (replay with TA_FUZZ_SEED=${seed})`);

/** Bound on one call of a parser: a call that takes longer counts as a hang. */
export const CALL_TIMEOUT_MS = 20_000;

/**
 * Settings for one property. `weight` scales the runs down for properties whose single run is costly
 * (decoding images, a round trip through a store or a server).
 */
export function settings(weight = 1): fc.Parameters<unknown> {
  return { numRuns: Math.max(5, Math.round(runs * weight)), seed, includeErrorInReport: true };
}

/** Runs `call` with a deadline; a call still running after it fails the property as a hang. */
export async function bounded<T>(what: string, call: () => Promise<T> | T, ms = CALL_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(call), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The outcome of feeding one input to a parser: its value, or the clean refusal it threw. Anything else
 * (a TypeError, a RangeError, an error of the wrong class) fails the property with the input's story.
 */
export async function outcome<T, E extends Error>(
  what: string,
  call: () => Promise<T> | T,
  isRefusal: (e: unknown) => e is E,
): Promise<{ ok: true; value: T } | { ok: false; error: E }> {
  try {
    return { ok: true, value: await bounded(what, call) };
  } catch (e) {
    if (isRefusal(e)) return { ok: false, error: e };
    const where = ((e as Error)?.stack ?? '').split('\n').find((l) => l.includes('/src/')) ?? '';
    throw new Error(
      `${what} threw ${(e as Error)?.name ?? typeof e}: ${(e as Error)?.message ?? String(e)} ${where.trim()}`,
      {
        cause: e,
      },
    );
  }
}

/** A refusal from the error catalogue: an AppError with one of its codes and a message. */
export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError && (ERROR_CODES as readonly string[]).includes(e.code) && e.message.length > 0;
}

export function assertAppError(e: unknown, codes: readonly string[] = ERROR_CODES): asserts e is AppError {
  assert.ok(e instanceof AppError, `expected an AppError, got ${String(e)}`);
  assert.ok(codes.includes(e.code), `unexpected code ${e.code}: ${e.message}`);
}

type Mutation =
  | { kind: 'set'; at: number; value: number }
  | { kind: 'word'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number };

/** Values that make length and offset fields overflow, go negative or point nowhere. */
const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('word' as const), at: fc.nat(), value: fc.constantFrom(...INTERESTING) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 256 }) }),
);

function apply(bytes: Uint8Array, m: Mutation): Uint8Array {
  if (bytes.length === 0) return m.kind === 'insert' ? m.bytes : bytes;
  const at = m.at % bytes.length;
  switch (m.kind) {
    case 'set': {
      const out = bytes.slice();
      out[at] = m.value;
      return out;
    }
    case 'word': {
      const out = bytes.slice();
      for (let i = 0; i < 4 && at + i < out.length; i++) out[at + i] = (m.value >>> (8 * i)) & 0xff;
      return out;
    }
    case 'truncate':
      return bytes.slice(0, at);
    case 'insert':
      return concat(bytes.subarray(0, at), m.bytes, bytes.subarray(at));
    case 'delete':
      return concat(bytes.subarray(0, at), bytes.subarray(at + m.length));
    case 'duplicate':
      return concat(bytes.subarray(0, at + m.length), bytes.subarray(at));
  }
}

// A copy in a fresh buffer: mutations write into their own bytes, never a shared example's.
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

/** One of the valid examples with one to eight byte-level mutations, or (one in five) random bytes. */
export function mutatedBytes(examples: readonly Uint8Array[], maxRandom = 4096): fc.Arbitrary<Uint8Array> {
  const mutated = fc
    .tuple(fc.nat(examples.length - 1), fc.array(mutation, { minLength: 1, maxLength: 8 }))
    .map(([i, ms]) => ms.reduce(apply, examples[i]!));
  return fc.oneof({ weight: 4, arbitrary: mutated }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: maxRandom }) });
}

/** Text-level mutations for line formats (CSV, YAML): lines dropped, doubled, cut or spliced with odd strings. */
export function mutatedText(examples: readonly string[]): fc.Arbitrary<string> {
  const odd = fc.oneof(
    fc.constantFrom(
      '',
      ',',
      '"',
      '""',
      '"\n',
      '\r',
      '\u0000',
      '\uFEFF',
      '\\',
      '-1',
      '1e309',
      'NaN',
      'Infinity',
      '2147483648',
      '9007199254740993',
      '0x10',
      ': ',
      '- ',
      '{',
      '[',
      '&a',
      '*a',
      '!!binary',
      '<<: *a',
      '\t',
      '#',
      '---',
      '...',
      '../../etc/passwd',
      'null',
      'true',
      '~',
      '\u202e',
      '\ud800',
    ),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
  );
  const edit = fc.record({
    line: fc.nat(),
    column: fc.nat(),
    kind: fc.constantFrom('insert', 'replace-line', 'drop-line', 'double-line', 'cut'),
    text: odd,
  });
  const mutated = fc
    .tuple(fc.nat(examples.length - 1), fc.array(edit, { minLength: 1, maxLength: 6 }))
    .map(([i, edits]) =>
      edits.reduce((text, e) => {
        const lines = text.split('\n');
        const l = lines.length === 0 ? 0 : e.line % lines.length;
        const line = lines[l] ?? '';
        const c = line.length === 0 ? 0 : e.column % (line.length + 1);
        if (e.kind === 'insert') lines[l] = line.slice(0, c) + e.text + line.slice(c);
        else if (e.kind === 'replace-line') lines[l] = e.text;
        else if (e.kind === 'drop-line') lines.splice(l, 1);
        else if (e.kind === 'double-line') lines.splice(l, 0, line);
        else return lines.join('\n').slice(0, lines.slice(0, l).join('\n').length + c);
        return lines.join('\n');
      }, examples[i]!),
    );
  return fc.oneof(
    { weight: 4, arbitrary: mutated },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 400 }) },
  );
}

/** A JSON value of any shape, mostly small, for bodies and fields that expect something specific. */
export const anyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 4 });

/** Values that break typed fields: NUL characters, integers past 32 bits, wrong types, long strings. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x'.repeat(10_000),
    0,
    -1,
    0.5,
    1.5,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32,
    2 ** 53,
    -(2 ** 31) - 1,
    1e308,
    -0,
    [],
    {},
    '../../etc/passwd',
    'javascript:alert(1)',
    '10.1234/x',
  ),
  anyJson,
);

type Path = (string | number)[];

function pathsOf(value: unknown, at: Path = []): Path[] {
  if (Array.isArray(value)) return [at, ...value.flatMap((v, i) => pathsOf(v, [...at, i]))];
  if (typeof value === 'object' && value !== null)
    return [at, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...at, k]))];
  return [at];
}

function edited(value: unknown, path: Path, edit: (old: unknown) => unknown): unknown {
  if (path.length === 0) return edit(value);
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    const result = edited(copy[head as number], rest, edit);
    if (result === REMOVE) copy.splice(head as number, 1);
    else copy[head as number] = result;
    return copy;
  }
  const copy = { ...(value as Record<string, unknown>) };
  const result = edited(copy[head as string], rest, edit);
  if (result === REMOVE) delete copy[head as string];
  else copy[head as string] = result;
  return copy;
}

const REMOVE = Symbol('remove');

/** A valid JSON example with one to four fields replaced by odd values, removed, or joined by unknown keys. */
export function mutatedJson(examples: readonly unknown[]): fc.Arbitrary<unknown> {
  const edit = fc.record({
    pick: fc.nat(),
    kind: fc.constantFrom('replace', 'replace', 'remove', 'add'),
    key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'extra', 'id'), fc.string({ maxLength: 8 })),
    value: oddValue,
  });
  return fc.tuple(fc.nat(examples.length - 1), fc.array(edit, { minLength: 1, maxLength: 4 })).map(([i, edits]) =>
    edits.reduce((doc, e) => {
      const paths = pathsOf(doc);
      const path = paths[e.pick % paths.length]!;
      return edited(doc, path, (old) => {
        if (e.kind === 'replace') return e.value;
        if (e.kind === 'remove') return path.length === 0 ? old : REMOVE;
        if (typeof old === 'object' && old !== null && !Array.isArray(old)) {
          const copy = { ...(old as Record<string, unknown>) };
          Object.defineProperty(copy, e.key, { value: e.value, enumerable: true, writable: true, configurable: true });
          return copy;
        }
        return e.value;
      });
    }, examples[i]),
  );
}
