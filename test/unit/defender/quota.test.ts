// The quota gate of a worker process (integrations/defender/quota.ts): when the next call may go, given the
// calls so far; that greedy slots under unlimited demand never put more calls in any Defender window than
// the quota, even with calls arriving up to the slack late; bursts at once; shares; a 429's hold.
import {
  ARRIVAL_SLACK_MS,
  QuotaGate,
  defenderQuotas,
  nextSlot,
  quotaShare,
  type Quota,
} from '../../../integrations/defender/quota';
import { gatePermits } from '../../../activities/defender-quota';
import { peakInWindow } from '../../support/windows';

/** Slots under unlimited demand from 0 to `spanMs`: each reserved as soon as the previous one went. */
function greedy(gate: QuotaGate, spanMs: number): number[] {
  const slots: number[] = [];
  let now = 0;
  for (;;) {
    const at = gate.reserve(now);
    if (at > spanMs) return slots;
    slots.push(at);
    now = at;
  }
}

describe('nextSlot', () => {
  const q: Quota[] = [{ calls: 3, windowMs: 10_000 }];

  it('answers now while the window has room, else when the oldest call that matters leaves it', () => {
    expect(nextSlot([], q, 500, 0)).toBe(500);
    expect(nextSlot([1_000, 2_000], q, 2_500, 0)).toBe(2_500);
    expect(nextSlot([1_000, 2_000, 3_000], q, 3_500, 0)).toBe(11_000);
    // Each call counts for its window plus the arrival slack.
    expect(nextSlot([1_000, 2_000, 3_000], q, 3_500)).toBe(11_000 + ARRIVAL_SLACK_MS);
    // A promised (future) slot counts as a call.
    expect(nextSlot([1_000, 2_000, 3_000, 11_000], q, 3_500, 0)).toBe(12_000);
  });

  it('takes the latest of every window: the hourly one once the minute has room', () => {
    const two: Quota[] = [
      { calls: 2, windowMs: 1_000 },
      { calls: 3, windowMs: 10_000 },
    ];
    expect(nextSlot([0, 100], two, 200, 0)).toBe(1_000);
    expect(nextSlot([0, 100, 1_200], two, 1_300, 0)).toBe(10_000);
    expect(nextSlot([], [{ calls: 0, windowMs: 1_000 }], 0, 0)).toBe(Infinity);
  });
});

describe('QuotaGate at the documented quota', () => {
  const quotas = defenderQuotas(100, 1_500);

  it('lets the per-minute burst go at once, then waits for the minute', () => {
    const gate = new QuotaGate(quotas);
    const slots = Array.from({ length: 101 }, () => gate.reserve(0));
    expect(slots.slice(0, 100).every((s) => s === 0)).toBe(true);
    expect(slots[100]).toBe(60_000 + ARRIVAL_SLACK_MS);
    // Peeking takes nothing.
    expect(gate.peek(0)).toBe(60_000 + ARRIVAL_SLACK_MS);
    expect(gate.peek(0)).toBe(60_000 + ARRIVAL_SLACK_MS);
  });

  it('never exceeds a window at Defender, calls arriving up to the slack after their slots, and uses ≥ 99 % of the hourly quota', () => {
    const span = 3 * 3_600_000;
    const slots = greedy(new QuotaGate(quotas), span);
    // Worst case: alternate calls as late as the slack allows and at once…
    const arrivals = slots.map((g, i) => g + (i % 2 === 0 ? ARRIVAL_SLACK_MS : 0));
    for (const q of quotas) expect(peakInWindow(arrivals, q.windowMs)).toBeLessThanOrEqual(q.calls);
    // …and the first half of each hour late, the rest at once.
    const half = slots.map((g) => g + (g % 3_600_000 < 1_800_000 ? ARRIVAL_SLACK_MS : 0));
    for (const q of quotas) expect(peakInWindow(half, q.windowMs)).toBeLessThanOrEqual(q.calls);
    const perHour = slots.length / 3;
    expect(perHour).toBeGreaterThanOrEqual(0.99 * 1_500);
    expect(perHour).toBeLessThanOrEqual(1_500);
  });

  it('hands slots out in order: a later caller never overtakes one already promised', () => {
    const gate = new QuotaGate([{ calls: 2, windowMs: 1_000 }], 0);
    expect([gate.reserve(0), gate.reserve(0), gate.reserve(0), gate.reserve(10)]).toEqual([
      0, 0, 1_000, 1_000,
    ]);
    expect(gate.reserve(10)).toBe(2_000);
  });

  it('holds its share when processes share the quota: each window divided, at least one call', () => {
    expect(quotaShare(quotas, 3)).toEqual([
      { calls: 33, windowMs: 60_000 },
      { calls: 500, windowMs: 3_600_000 },
    ]);
    expect(quotaShare([{ calls: 2, windowMs: 1_000 }], 5)).toEqual([{ calls: 1, windowMs: 1_000 }]);
    const gate = new QuotaGate(quotas);
    gate.setSharedBy(2);
    expect(gate.sharedBy).toBe(2);
    const slots = Array.from({ length: 51 }, () => gate.reserve(0));
    expect(slots.filter((s) => s === 0)).toHaveLength(50);
    gate.setSharedBy(0); // never below itself
    expect(gate.sharedBy).toBe(1);
  });

  it('holds every call after a 429 until its Retry-After', () => {
    const gate = new QuotaGate(quotas);
    expect(gate.reserve(1_000)).toBe(1_000);
    gate.holdUntil(31_000);
    expect(gate.peek(2_000)).toBe(31_000);
    expect(gate.reserve(2_000)).toBe(31_000);
    // A shorter hold later does not shorten it.
    gate.holdUntil(5_000);
    expect(gate.peek(3_000)).toBe(31_000);
  });

  it('forgets calls no window can count any more', () => {
    const gate = new QuotaGate([{ calls: 1, windowMs: 60_000 }], 0);
    expect(gate.reserve(0)).toBe(0);
    expect(gate.reserve(0)).toBe(60_000);
    expect(gate.peek(200_000)).toBe(200_000);
  });

  it('gives a call that missed its slot (a busy event loop) another slot; the missed one still counts', async () => {
    const gate = new QuotaGate([{ calls: 3, windowMs: 60_000 }], 0);
    // The clock as the permits read it: the slot at 0 is taken, but the call is only ready at 800 ms.
    const clock = [0, 800, 800, 800];
    const permits = gatePermits(gate, () => clock.shift() ?? 800);
    await permits.take('GET /x');
    expect(clock).toHaveLength(0);
    // Two slots used (0 and 800): one left in the minute.
    expect(gate.reserve(800)).toBe(800);
    expect(gate.reserve(800)).toBe(60_000);
  });
});
