// Defender's quota (reference §10: 100 calls/minute and 1,500 calls/hour) held in API calls, in every
// sliding window, across every worker. The mechanism:
//
// 1. Before every API call the client takes a permit from one entity workflow per deployment
//    (workflows/defender-quota.ts): it grants while every quota window has room, so a burst up to the
//    per-minute quota goes at once and sustained load settles at the hourly rate. The grant times are the
//    entity's state (its history), so the count holds across worker processes and restarts.
// 2. A call must leave within CALL_DELAY_BOUND_MS of the moment its permit was asked for (else it is not
//    sent and the permit is wasted), so it reaches Defender at most DISPATCH_SLACK_MS after its grant.
//    Hence the entity counts each grant in a window of W + DISPATCH_SLACK_MS: the calls in any Defender
//    window of W had their grants within W + slack. (100/min then allows 100 calls in any 63 s.)
// 3. A crash between grant and call wastes the grant (it still counts): conservative, never over.
// Temporal's task-queue rate limit no longer carries the quota (worker-options.ts). The arithmetic below
// is pure and workflow-safe: no Node APIs.

export {
  CALL_DELAY_BOUND_MS,
  DISPATCH_SLACK_MS,
  liveGrants,
  nextSlot,
  type Quota,
} from '../../core/quota-windows';
import { DISPATCH_SLACK_MS, type Quota } from '../../core/quota-windows';

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
