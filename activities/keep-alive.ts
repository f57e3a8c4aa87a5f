// Activities that heartbeat while they run, so that when a worker dies (kill -9, a lost machine) the
// server notices within the activity's heartbeat timeout and hands the attempt to another worker, instead
// of waiting out its start-to-close timeout (minutes). Applied from outside to every activity where the
// worker's activities are assembled (worker/activities.ts); the activities themselves need not know.
//
// Heartbeat details are the activities' idempotency checkpoints (an action id, a posted message): a bare
// periodic heartbeat would overwrite them. So the keep-alive repeats the latest details — the activity's
// own heartbeats are observed on its Context — or, until it records any, the previous attempt's.
import { Context } from '@temporalio/activity';

/** How often a running activity heartbeats, at most (the SDK sends at most one per 80% of the timeout). */
const MAX_INTERVAL_MS = 1_000;

type AnyActivity = (...args: never[]) => Promise<unknown>;

function keepAlive<F extends AnyActivity>(fn: F): F {
  const wrapped = async (...args: Parameters<F>): Promise<unknown> => {
    let ctx: Context;
    try {
      ctx = Context.current();
    } catch {
      return fn(...args); // called directly, outside an activity (unit tests, simulate)
    }
    const timeoutMs = ctx.info.heartbeatTimeoutMs;
    if (!timeoutMs || ctx.info.isLocal) return fn(...args);
    let latest: unknown = ctx.info.heartbeatDetails;
    const own = ctx.heartbeat;
    // Observe the activity's own heartbeats, to repeat its latest checkpoint rather than erase it.
    Object.defineProperty(ctx, 'heartbeat', {
      configurable: true,
      writable: true,
      value: (details?: unknown) => {
        latest = details;
        own(details);
      },
    });
    const timer = setInterval(() => own(latest), Math.min(MAX_INTERVAL_MS, Math.max(100, timeoutMs / 4)));
    try {
      own(latest); // the first heartbeat goes out at once: the server knows this attempt is alive
      return await fn(...args);
    } finally {
      clearInterval(timer);
    }
  };
  return wrapped as unknown as F;
}

/** Every function of `activities`, heartbeating while it runs (when its options have a heartbeat timeout). */
export function withKeepAlive<T extends object>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      typeof fn === 'function' ? keepAlive(fn as AnyActivity) : fn,
    ]),
  ) as T;
}
