/**
 * Whether an error means the database could not be reached (down, restarting, out of
 * connections) rather than that a query was wrong: the former is worth a retry later.
 */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  // PostgreSQL: admin shutdown, crash shutdown, cannot connect now, and the connection exception class.
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

const UNREACHABLE_MESSAGES =
  /Timeout acquiring a connection|Connection terminated|terminating connection|the database system is (starting up|shutting down)|Client has encountered a connection error/i;

export function isStoreUnavailable(err: unknown): boolean {
  for (
    let e = err, depth = 0;
    e !== null && typeof e === 'object' && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const { code, message, name } = e as { code?: unknown; message?: unknown; name?: unknown };
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    if (name === 'KnexTimeoutError') return true;
    if (typeof message === 'string' && UNREACHABLE_MESSAGES.test(message)) return true;
  }
  return false;
}

/** Seconds a client is told to wait before retrying while the store is unreachable. */
export const RETRY_AFTER_SECONDS = 5;

/** Answers within `timeoutMs` whether the store takes a trivial query. */
export async function storeReachable(
  knex: { raw(sql: string): PromiseLike<unknown> },
  timeoutMs = 2000,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([
      Promise.resolve(knex.raw('select 1')).then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
