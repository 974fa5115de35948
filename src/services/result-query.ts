import type { Db } from './session.js';
import { notFound } from '../errors.js';
import { getDataset, type RunFilter } from '../store/index.js';
import { BASELINE_SOURCE_SPELLING } from '../transfer/index.js';
import { definedOnly } from '../defaults.js';

/** What a caller asks of the stored results; `source: 'none'` selects the baselines. */
export interface ResultQuery {
  readonly source?: string;
  readonly target?: string;
  readonly architecture?: string;
  readonly includeWithdrawn?: boolean;
}

/**
 * The store filter for a results query, once the datasets it names are known to exist: an unknown
 * id is a 404 naming the caller's own field (`source` in the API, `--source` on the command line).
 */
export async function resultFilter(
  { knex: db }: Db,
  query: ResultQuery,
  fields: { readonly source: string; readonly target: string },
): Promise<RunFilter> {
  for (const [field, id] of [
    [fields.source, query.source],
    [fields.target, query.target],
  ] as const) {
    if (id !== undefined && id !== BASELINE_SOURCE_SPELLING && !(await getDataset(db, id)))
      throw notFound('dataset', id, field);
  }
  return {
    ...(query.source === BASELINE_SOURCE_SPELLING ? { baseline: true } : query.source ? { source: query.source } : {}),
    ...definedOnly({ target: query.target || undefined, architecture: query.architecture || undefined }),
    includeWithdrawn: query.includeWithdrawn ?? false,
  };
}
