// Defender's quota (reference §10: 100 calls/minute and 1,500 calls/hour) held in API calls, in every
// sliding window, across every worker. The mechanism:
//
// 1. Every Defender activity task makes at most one API call (CallBudget below); a submit that needs a
//    lookup does it in one attempt and POSTs in the next.
// 2. The Defender task queue is rate-limited by the Temporal server (maxTaskQueueActivitiesPerSecond), so
//    tasks, hence calls, are counted for the whole deployment.
// 3. Temporal's limiter is a token bucket per task-queue partition: rate r/P and burst max(1, ceil(r/P))
//    per partition (matching service, TaskMatcher.UpdateRatelimit), full at start. So in any window W it
//    dispatches at most r·W + P·max(1, ceil(r/P)) tasks; one more per partition may already hold a token
//    while it waits for a poller (MustOffer takes the token first). One partition (dynamic config
//    `matching.numTaskqueue{Read,Write}Partitions`, set by the embedded dev server and the compose
//    file) keeps that burst at one or two.
// 4. A call must leave within CALL_DELAY_BOUND_MS of its task's start (else the attempt gives up, uncalled,
//    and is dispatched again), so calls reach Defender at most DISPATCH_SLACK_MS later than their tasks
//    were dispatched, relative to one another.
// Hence r is the largest rate with r·(W + DISPATCH_SLACK_MS) + P·(max(1, ceil(r/P)) + 1) ≤ calls, for each
// quota window. Workflow-safe: no Node APIs.

export interface Quota {
  /** Calls allowed in any sliding window of `windowMs`. */
  calls: number;
  windowMs: number;
}

/** The longest a Defender activity may wait between its start and its one API call. */
export const CALL_DELAY_BOUND_MS = 1_000;
/** How much later, relative to their dispatch, two calls may reach Defender: the bound above, twice. */
export const DISPATCH_SLACK_MS = 2 * CALL_DELAY_BOUND_MS;

/** Documented limits of the machine-action, machine-action-list and alert APIs (reference §10). */
export const DOCUMENTED_CALLS_PER_MINUTE = 100;
export const DOCUMENTED_CALLS_PER_HOUR = 1_500;

/** The quota windows of a per-minute and a per-hour limit. */
export function defenderQuotas(perMinute: number, perHour: number): Quota[] {
  return [
    { calls: perMinute, windowMs: 60_000 },
    { calls: perHour, windowMs: 3_600_000 },
  ];
}

/** Tasks Temporal's limiter may dispatch at once beyond the rate, over `partitions` partitions. */
export function burstTasks(rate: number, partitions: number): number {
  return partitions * (Math.max(1, Math.ceil(rate / partitions)) + 1);
}

/** Most tasks dispatched in any window of `windowMs` at `rate` tasks/s (calls, with the slack). */
export function worstCaseCalls(rate: number, windowMs: number, partitions: number): number {
  return (rate * (windowMs + DISPATCH_SLACK_MS)) / 1000 + burstTasks(rate, partitions);
}

/**
 * Activity tasks per second for the Defender queue such that no window of any quota sees more calls
 * than it allows. Throws when a quota is too small for the burst of the partitions.
 */
export function defenderTaskRate(quotas: Quota[], partitions = 1): number {
  let rate = Infinity;
  for (const q of quotas) {
    let best: number | undefined;
    // The burst depends on the rate: try burst sizes upward; the first that fits gives the largest rate.
    for (let b = 1; b <= q.calls; b++) {
      const r = ((q.calls - partitions * (b + 1)) * 1000) / (q.windowMs + DISPATCH_SLACK_MS);
      if (r <= 0) break;
      if (Math.max(1, Math.ceil(r / partitions)) <= b) {
        best = r;
        break;
      }
    }
    if (best === undefined) {
      throw new Error(
        `a quota of ${q.calls} calls per ${q.windowMs / 1000} s is too small for ${partitions} task-queue partition(s): it must allow more than ${2 * partitions} calls`,
      );
    }
    rate = Math.min(rate, best);
  }
  return rate;
}
