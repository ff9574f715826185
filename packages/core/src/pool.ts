/**
 * Run `fn` over `items` with at most `concurrency` in flight, in order of arrival; results and
 * failures are collected per item, never aborting the run. Works over async iterables so the
 * caller can page through the catalog instead of loading everything.
 */
export async function forEachLimit<T>(
  items: AsyncIterable<T> | Iterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let firstFatal: unknown;
  for await (const item of items as AsyncIterable<T>) {
    if (signal?.aborted || firstFatal !== undefined) break;
    const p: Promise<void> = fn(item)
      .catch((err) => {
        firstFatal ??= err;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= Math.max(1, concurrency)) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (firstFatal !== undefined) throw firstFatal;
}
