/**
 * Merging options with defaults, and building records with optional keys. Under
 * `exactOptionalPropertyTypes` an optional key may be absent but not hold `undefined`, and a
 * spread copies an explicit `undefined` over a default; these two helpers drop such keys instead.
 */

/** The keys of `T` that may hold undefined become optional and never hold it. */
export type DefinedOnly<T> = {
  [K in keyof T as undefined extends T[K] ? never : K]: T[K];
} & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** `record` without its undefined-valued keys. */
export function definedOnly<T extends object>(record: T): DefinedOnly<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as DefinedOnly<T>;
}

/** `defaults` overridden by each key of `overrides` that holds a value: an explicit undefined keeps the default. */
export function withDefaults<T extends object>(
  defaults: T,
  overrides: { readonly [K in keyof T]?: T[K] | undefined },
): T {
  return { ...defaults, ...definedOnly(overrides) } as T;
}
