// The sliding-window arithmetic of the Defender quota (integrations/defender/quota.ts explains the
// mechanism), here because the quota entity workflow runs it: pure, no Node APIs.

export interface Quota {
  /** Calls allowed in any sliding window of `windowMs`. */
  calls: number;
  windowMs: number;
}

/**
 * The longest a Defender call may leave after its permit was asked for (else it is not sent and the permit
 * is wasted). It covers the Update's round trip to the entity, which takes a second or more when many
 * callers start at once on a loaded machine.
 */
export const CALL_DELAY_BOUND_MS = 2_000;
/**
 * How much later than its grant (entity time) a call may reach Defender. The grant is made in a workflow
 * task that starts after the ask reached the server, and the call leaves within the bound after the ask,
 * so at most the bound later (only elapsed time on each clock matters, not their offset); one second
 * more for the call's way to Defender differing between calls.
 */
export const DISPATCH_SLACK_MS = CALL_DELAY_BOUND_MS + 1_000;

/**
 * Earliest time ≥ `now` at which one more call fits every quota, given the epoch-ms times of the calls
 * already granted (any order; future times, such as promised slots, count as if granted). Each grant
 * counts in a window of `windowMs + slackMs`. Returns `now` when there is room now.
 */
export function nextSlot(
  grants: readonly number[],
  quotas: readonly Quota[],
  now: number,
  slackMs = DISPATCH_SLACK_MS,
): number {
  const sorted = [...grants].sort((a, b) => a - b);
  let at = now;
  for (const q of quotas) {
    if (q.calls < 1) return Infinity;
    const span = q.windowMs + slackMs;
    // Room at t: fewer than q.calls grants in (t - span, ∞). The (k)-th newest must have left the window.
    const excess = sorted.length - q.calls + 1;
    if (excess <= 0) continue;
    at = Math.max(at, sorted[excess - 1] + span);
  }
  return at;
}

/** The grants still counting in some window at `now` (older ones can never count again). */
export function liveGrants(
  grants: readonly number[],
  quotas: readonly Quota[],
  now: number,
  slackMs = DISPATCH_SLACK_MS,
): number[] {
  const longest = Math.max(0, ...quotas.map((q) => q.windowMs)) + slackMs;
  return grants.filter((g) => g > now - longest);
}
