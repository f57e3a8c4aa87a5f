// The Defender task rate against a model of Temporal's matching rate limiter: a token bucket per
// task-queue partition (rate r/P, burst max(1, ceil(r/P)), full at start, one more token taken by a task
// waiting for a poller), calls reaching Defender up to DISPATCH_SLACK_MS apart from their dispatch.
import {
  DISPATCH_SLACK_MS,
  burstTasks,
  defenderQuotas,
  defenderTaskRate,
  worstCaseCalls,
  type Quota,
} from '../../../integrations/defender/quota';

/**
 * Greedy dispatch under infinite demand over `spanMs`, each partition a token bucket, every task's call
 * then delayed by a varying 0…DISPATCH_SLACK_MS (worst case for clustering): the busiest window of each
 * quota, counted at arrival.
 */
function busiest(rate: number, partitions: number, quotas: Quota[], spanMs: number): number[] {
  const perRate = rate / partitions;
  const burst = Math.max(1, Math.ceil(perRate)) + 1; // + the token held while waiting for a poller
  const arrivals: number[] = [];
  for (let p = 0; p < partitions; p++) {
    // A full bucket at 0, then one token every 1/perRate s.
    for (let i = 0; i < burst; i++) arrivals.push(DISPATCH_SLACK_MS); // the burst arrives as late as possible…
    for (let t = 1000 / perRate; t < spanMs; t += 1000 / perRate) arrivals.push(t); // …the rest as early
  }
  arrivals.sort((a, b) => a - b);
  return quotas.map((q) => {
    let best = 0;
    for (let i = 0, j = 0; i < arrivals.length; i++) {
      while (arrivals[i] - arrivals[j] >= q.windowMs) j++;
      best = Math.max(best, i - j + 1);
    }
    return best;
  });
}

describe('Defender task rate', () => {
  it.each([
    [100, 1500, 1],
    [10, 100_000, 1],
    [10, 1500, 1],
    [100, 1500, 4],
    [30, 600, 2],
    [1000, 100_000, 1],
  ])('%i/min and %i/h over %i partition(s): no window of either quota is exceeded', (m, h, p) => {
    const quotas = defenderQuotas(m, h);
    const rate = defenderTaskRate(quotas, p);
    for (const q of quotas) expect(worstCaseCalls(rate, q.windowMs, p)).toBeLessThanOrEqual(q.calls + 1e-9);
    // The model: a burst, then the rate, over two hours.
    const peaks = busiest(rate, p, quotas, 2 * 3_600_000);
    peaks.forEach((peak, i) => expect(peak).toBeLessThanOrEqual(quotas[i].calls));
  });

  it('uses the quota well: the documented limits give about 25 tasks a minute, bound by the hour', () => {
    const rate = defenderTaskRate(defenderQuotas(100, 1500));
    expect(rate * 60).toBeGreaterThan(24.5);
    expect(rate * 60).toBeLessThan(25);
    // 10 a minute: just under 8 sustained, so burst and jitter still fit the minute.
    const ten = defenderTaskRate(defenderQuotas(10, 1500));
    expect(ten * 60).toBeGreaterThan(7.5);
    expect(worstCaseCalls(ten, 60_000, 1)).toBeLessThanOrEqual(10);
    expect(burstTasks(ten, 1)).toBe(2);
  });

  it('refuses a quota too small for the burst of its partitions', () => {
    expect(() => defenderTaskRate(defenderQuotas(8, 1500), 4)).toThrow(
      /too small for 4 task-queue partition/,
    );
    expect(defenderTaskRate(defenderQuotas(3, 1500), 1)).toBeGreaterThan(0);
  });
});
