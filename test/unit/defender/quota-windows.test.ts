// The sliding-window arithmetic of the quota entity (core/quota-windows.ts): when the next call may go,
// given the grants so far, and that greedy granting under unlimited demand never puts more calls in any
// Defender window than the quota — even with every call reaching Defender as late after its grant as the
// slack allows, or at once.
import { DISPATCH_SLACK_MS, liveGrants, nextSlot, type Quota } from '../../../core/quota-windows';
import { defenderQuotas } from '../../../integrations/defender/quota';
import { peakInWindow } from '../../support/windows';

const busiest = peakInWindow;

/** Grants under unlimited demand from 0 to `spanMs`: each at the earliest time the windows allow. */
function greedy(quotas: Quota[], spanMs: number): number[] {
  const grants: number[] = [];
  let now = 0;
  for (;;) {
    now = nextSlot(liveGrants(grants, quotas, now), quotas, now);
    if (now > spanMs) return grants;
    grants.push(now);
  }
}

describe('nextSlot', () => {
  const q: Quota[] = [{ calls: 3, windowMs: 10_000 }];

  it('answers now while the window has room, else when the oldest grant that matters leaves it', () => {
    expect(nextSlot([], q, 500, 0)).toBe(500);
    expect(nextSlot([1_000, 2_000], q, 2_500, 0)).toBe(2_500);
    expect(nextSlot([1_000, 2_000, 3_000], q, 3_500, 0)).toBe(11_000);
    // Each grant counts for the window plus the dispatch slack.
    expect(nextSlot([1_000, 2_000, 3_000], q, 3_500)).toBe(11_000 + DISPATCH_SLACK_MS);
    // Order does not matter; a promised (future) slot counts as a grant.
    expect(nextSlot([3_000, 1_000, 2_000], q, 3_500, 0)).toBe(11_000);
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

  it('forgets grants no window can count any more', () => {
    expect(liveGrants([0, 50_000, 61_000], [{ calls: 1, windowMs: 60_000 }], 110_001, 0)).toEqual([61_000]);
    expect(liveGrants([0, 50_000, 61_000], [{ calls: 1, windowMs: 60_000 }], 109_999, 0)).toEqual([
      50_000, 61_000,
    ]);
  });
});

describe('greedy granting at the documented quota', () => {
  const quotas = defenderQuotas(100, 1_500);

  it('lets the per-minute burst go at once', () => {
    const grants = greedy(quotas, 10_000);
    expect(grants).toHaveLength(100);
    expect(grants.every((g) => g === 0)).toBe(true);
  });

  it('never exceeds a window at Defender, calls arriving up to the slack after their grants, and gives ≥ 99 % of the hourly quota', () => {
    const span = 3 * 3_600_000;
    const grants = greedy(quotas, span);
    // Worst case: alternate calls as late as the slack allows and at once.
    const arrivals = grants.map((g, i) => g + (i % 2 === 0 ? DISPATCH_SLACK_MS : 0));
    for (const q of quotas) expect(busiest(arrivals, q.windowMs)).toBeLessThanOrEqual(q.calls);
    // …and earlier grants late, later ones at once (bunching at every window boundary of the 2nd hour).
    const half = grants.map((g) => g + (g % 3_600_000 < 1_800_000 ? DISPATCH_SLACK_MS : 0));
    for (const q of quotas) expect(busiest(half, q.windowMs)).toBeLessThanOrEqual(q.calls);
    const perHour = grants.length / 3;
    expect(perHour).toBeGreaterThanOrEqual(0.99 * 1_500);
    expect(perHour).toBeLessThanOrEqual(1_500);
  });
});
