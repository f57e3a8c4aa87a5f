// Request handlers wait on Temporal for a bounded time. Without a deadline the client retries an
// unreachable frontend for ~20 s (its gRPC retry policy), far past any sender's or health check's
// patience; with one, the request is answered 503 with Retry-After within seconds, and nothing is
// acknowledged that Temporal has not made durable.
import { WorkflowUpdateRPCTimeoutOrCancelledError, isGrpcServiceError } from '@temporalio/client';

/** How long one API request may wait on Temporal in all. */
export const REQUEST_DEADLINE_MS = 5_000;
/** /readyz answers within this, every check included (docker-compose's health check allows 4 s). */
export const READINESS_DEADLINE_MS = 2_500;
/** What a 503 asks the sender to wait before retrying. */
export const RETRY_AFTER_SECONDS = 5;

// gRPC status codes: DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED (rate limited), UNAVAILABLE.
const UNAVAILABLE_CODES = new Set([4, 8, 14]);

/** Whether an error means "Temporal did not answer in time" (so: retry later), not a bad request. */
export function isTemporalUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
    if (isGrpcServiceError(e) && UNAVAILABLE_CODES.has(e.code)) return true;
  }
  return false;
}

/** `fn` settled within `ms`, else `onTimeout()` (for checks that are not Temporal calls). */
export async function within<T>(ms: number, fn: () => Promise<T>, onTimeout: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout()), ms);
  });
  try {
    return await Promise.race([fn(), late]);
  } finally {
    clearTimeout(timer);
  }
}
