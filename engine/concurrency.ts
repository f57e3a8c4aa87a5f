// Bounded concurrency for the interpreter (workflow-safe: plain promises, which Temporal resolves in
// history order, so a replay takes the same path).

/** Patch id: per-device Defender steps act on their devices concurrently (runs before it: one by one). */
export const CONCURRENT_DEVICES_PATCH = 'defender-devices-concurrent';

/** Devices a per-device Defender step acts on at once; the Defender quota gate still paces calls. */
export const MAX_CONCURRENT_DEVICES = 20;

/**
 * `fn` over `items`, at most `limit` at a time, started in item order; the results in item order
 * whatever order they finish in.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i], i);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, lane));
  return results;
}
