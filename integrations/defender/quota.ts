// Defender's quota (reference §10: 100 calls/minute and 1,500 calls/hour), held in API calls in every
// sliding window. The mechanism:
//
// 1. Every API call of a worker process first takes a slot of that process's QuotaGate (below), right
//    before it is sent: a slot is the earliest time at which one more call fits every window, counting the
//    calls already made and the slots already promised to calls waiting for theirs. So a burst up to the
//    per-minute quota goes at once (20 devices POSTed together), and a storm is paced at the quota itself.
// 2. Each process polling the Defender task queue holds its share of the quota: the calls of each window
//    divided by the number of such processes (worker/defender-pollers.ts counts them from Temporal).
// 3. A 429 from Defender (another application of the tenant spending the same quota, or a process that
//    restarted and forgot the calls it had made) holds every call of the process until its Retry-After.
//
// Counting happens in the process, without a round trip, so a call costs no Temporal traffic; the price is
// that a process restarted within a window does not know its predecessor's calls (point 3 covers it).
// Pure: no Node APIs, no clocks of its own.

export interface Quota {
  /** Calls allowed in any sliding window of `windowMs`. */
  calls: number;
  windowMs: number;
}

/** Documented limits of the machine-action, machine-action-list and alert APIs (reference §10). */
export const DOCUMENTED_CALLS_PER_MINUTE = 100;
export const DOCUMENTED_CALLS_PER_HOUR = 1_500;

/**
 * How much longer than its window a call is counted: a call leaves at most LATE_CALL_MS after its slot
 * (else it takes another), and its way to Defender may take longer for one call than for the next.
 */
export const ARRIVAL_SLACK_MS = 2_000;
/** A call not sent within this long of its slot (a busy event loop) takes another slot instead. */
export const LATE_CALL_MS = 500;

/** The quota windows of a per-minute and a per-hour limit. */
export function defenderQuotas(perMinute: number, perHour: number): Quota[] {
  return [
    { calls: perMinute, windowMs: 60_000 },
    { calls: perHour, windowMs: 3_600_000 },
  ];
}

/** One process's part of the quota when `processes` share it (at least one call per window). */
export function quotaShare(quotas: readonly Quota[], processes: number): Quota[] {
  const n = Math.max(1, Math.floor(processes));
  return quotas.map((q) => ({ calls: Math.max(1, Math.floor(q.calls / n)), windowMs: q.windowMs }));
}

/**
 * Earliest time ≥ `now` at which one more call fits every quota, given the epoch-ms times of the calls
 * already made or promised, sorted ascending. Each counts in a window of `windowMs + slackMs`.
 */
export function nextSlot(
  sortedGrants: readonly number[],
  quotas: readonly Quota[],
  now: number,
  slackMs = ARRIVAL_SLACK_MS,
): number {
  let at = now;
  for (const q of quotas) {
    if (q.calls < 1) return Infinity;
    // Room at t: fewer than q.calls grants in (t - span, ∞), so the (excess)-th oldest must have left.
    const excess = sortedGrants.length - q.calls + 1;
    if (excess <= 0) continue;
    at = Math.max(at, sortedGrants[excess - 1] + q.windowMs + slackMs);
  }
  return at;
}

/**
 * One process's share of the quota: `reserve` promises the next slot to one call. Grants are kept sorted
 * (a slot is never earlier than one already promised, so appending keeps the order) and those that can no
 * longer count are dropped, so a reservation costs O(number of windows).
 */
export class QuotaGate {
  private grants: number[] = [];
  private quotas: Quota[];
  private heldUntil = 0;
  private processes = 1;

  constructor(
    private readonly full: readonly Quota[],
    private readonly slackMs = ARRIVAL_SLACK_MS,
  ) {
    this.quotas = quotaShare(full, 1);
  }

  /** How many processes share the quota (this one included). */
  get sharedBy(): number {
    return this.processes;
  }

  /** The calls this process may make per window now. */
  get share(): Quota[] {
    return this.quotas;
  }

  setSharedBy(processes: number): void {
    this.processes = Math.max(1, Math.floor(processes));
    this.quotas = quotaShare(this.full, this.processes);
  }

  /** The time of the next free slot, without taking it. */
  peek(now: number): number {
    this.prune(now);
    const after = Math.max(now, this.heldUntil, this.grants[this.grants.length - 1] ?? now);
    // Slots are handed out in order: a later caller never overtakes one already promised.
    return nextSlot(this.grants, this.quotas, after, this.slackMs);
  }

  /** Takes the next free slot and returns its time (≥ now). */
  reserve(now: number): number {
    const at = this.peek(now);
    this.grants.push(at);
    return at;
  }

  /** Defender answered 429: no call of this process leaves before `until`. */
  holdUntil(until: number): void {
    this.heldUntil = Math.max(this.heldUntil, until);
  }

  private prune(now: number): void {
    const longest = Math.max(0, ...this.full.map((q) => q.windowMs)) + this.slackMs;
    let drop = 0;
    while (drop < this.grants.length && this.grants[drop] <= now - longest) drop++;
    if (drop > 0) this.grants = this.grants.slice(drop);
  }
}
