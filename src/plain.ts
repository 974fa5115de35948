/**
 * Values both stores can hold alike. PostgreSQL refuses NUL in text and integers beyond 32 bits, SQLite keeps
 * both; whatever reaches a store from outside (a request, a file the CLI imports) is checked here first, so that
 * the two hold the same data and a refusal names the field instead of surfacing as a database error.
 */
export const INT32_MAX = 2 ** 31 - 1;
export const INT32_MIN = -(2 ** 31);
/** Deeper than any input of ours nests; past it a value is refused before anything walks it recursively. */
export const MAX_DEPTH = 32;

/** Why a value cannot be stored: the offending field, a short message for it, and a sentence for people. */
export interface PlainProblem {
  readonly field: string;
  readonly message: string;
  readonly detail: string;
}

interface Pending {
  readonly value: unknown;
  readonly path: string;
  readonly depth: number;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/**
 * Walks a parsed value without recursion: NUL in a key or a string, nesting past MAX_DEPTH, and integers
 * past 32 bits are refused. Typed arrays (embedding vectors) are data, not fields, and are not walked.
 * `integers: false` leaves numbers alone, for values whose numbers are all doubles in the store.
 */
export function plainProblem(
  value: unknown,
  root = '',
  { integers = true }: { readonly integers?: boolean } = {},
): PlainProblem | undefined {
  const pending: Pending[] = [{ value, path: root, depth: 0 }];
  while (pending.length > 0) {
    const { value: v, path, depth } = pending.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000'))
        return {
          field: path || '(body)',
          message: 'must not contain NUL characters',
          detail: `${path || 'the body'}: NUL characters are not allowed`,
        };
    } else if (typeof v === 'number') {
      if (integers && Number.isInteger(v) && (v > INT32_MAX || v < INT32_MIN))
        return {
          field: path,
          message: `must be <= ${INT32_MAX} and >= ${INT32_MIN}`,
          detail: `${path}: integers must lie within ${INT32_MIN}..${INT32_MAX}`,
        };
    } else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
      if (depth >= MAX_DEPTH)
        return {
          field: root || '(body)',
          message: `must nest at most ${MAX_DEPTH} levels`,
          detail: `${root || 'the body'} nests deeper than ${MAX_DEPTH} levels`,
        };
      for (const [key, child] of Object.entries(v)) {
        const childPath = join(path, key);
        if (key.includes('\u0000'))
          return {
            field: childPath,
            message: 'must not contain NUL characters',
            detail: `${childPath}: NUL characters are not allowed in keys`,
          };
        pending.push({ value: child, path: childPath, depth: depth + 1 });
      }
    }
  }
  return undefined;
}
