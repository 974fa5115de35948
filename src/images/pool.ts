/**
 * Runs `work` on up to `concurrency` items at once and hands results to `consume` strictly in
 * input order, so at most `concurrency` results are ever held and output order is deterministic.
 * `work` must not reject: failures are values, so nothing is left running unobserved.
 */
export async function orderedPool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
  consume: (result: R, item: T, index: number) => Promise<void>,
): Promise<void> {
  const inflight: Promise<R>[] = [];
  let next = 0;
  const launch = () => {
    const i = next++;
    inflight.push(work(items[i]!, i));
  };
  while (next < items.length && inflight.length < concurrency) launch();
  for (let i = 0; i < items.length; i++) {
    const result = await inflight.shift()!;
    if (next < items.length) launch();
    await consume(result, items[i]!, i);
  }
}
