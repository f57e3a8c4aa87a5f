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
import type { Quota } from '../../core/quota-windows';

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
