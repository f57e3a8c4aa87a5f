// Throttling: the Temporal task-queue rate limit keeps the Defender queue at the configured pace across
// workers, and a 429 storm from the API is ridden out (Retry-After) without any step failing.
import type { Client, Connection } from '@temporalio/client';
import type { DefenderSubmitRequest } from '../../activities/contracts';
import { defenderConfigFromEnv } from '../../activities/defender/config';
import { defenderTaskRate } from '../../activities/defender/worker';
import type { FakeDefender } from '../fakes/defender/fake-defender';
import { liveConfig, startFake, startWorkers, type Workers } from '../fakes/defender/harness';
import type { StepOutcome } from '../fakes/defender/workflows';
import { testClient } from '../support/temporal';

let fake: FakeDefender;
let workers: Workers;
let client: Client;
let connection: Connection;

afterAll(async () => {
  await workers?.stop();
  await connection?.close();
  await workers?.client?.close();
  await fake?.stop();
});

/** Most API calls seen in any window of `ms`. */
function peak(times: number[], ms: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i] - t[j] >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('Defender rate limits', () => {
  it('rides out a 429 storm with no failed step and keeps to the configured rate', async () => {
    // API: 3 calls per second, then 429 Retry-After: 1. Nightshift: 240/min → 4 activity tasks per second.
    fake = await startFake({
      rateLimit: { limit: 3, windowMs: 1_000, retryAfterS: 1 },
      lifecycle: { pendingMs: 300, inProgressMs: 300, final: 'Succeeded' },
    });
    const cfg = liveConfig(fake, {
      DEFENDER_CALLS_PER_MINUTE: '240',
      DEFENDER_CALLS_PER_HOUR: '100000',
      DEFENDER_POLL_INTERVAL_MS: '300',
    });
    expect(defenderTaskRate(cfg)).toBe(4);
    workers = await startWorkers(cfg);
    ({ client, connection } = await testClient());
    const reqs: DefenderSubmitRequest[] = Array.from({ length: 6 }, (_, i) => {
      const machineId = `${i}`.padStart(40, 'c');
      fake.addMachine(machineId);
      return {
        key: `storm-${i}`,
        run: { workflowId: 'wf', playbook: 'p', playbookVersion: 1, stepId: 'isolate', detectionId: 'd' },
        action: 'isolate',
        machineId,
        params: { type: 'full' },
      };
    });
    const started = Date.now();
    const outcomes: StepOutcome[] = await client.workflow.execute('defenderSteps', {
      taskQueue: workers.taskQueue,
      workflowId: `storm-${workers.taskQueue}`,
      args: [{ reqs, stepTimeoutMs: 60_000, taskQueue: workers.defenderQueue }],
    });
    const elapsed = Date.now() - started;
    expect(outcomes.map((o) => o.error)).toEqual(reqs.map(() => undefined));
    expect(outcomes.map((o) => o.final)).toEqual(reqs.map(() => 'Succeeded'));
    expect(fake.actions).toHaveLength(6);
    const calls = fake.apiCalls();
    const throttled = calls.filter((c) => c.status === 429).length;
    const times = calls.map((c) => c.at);
    const peak1s = peak(times, 1_000);
    const taskPeak = peak(workers.taskStarts, 1_000);
    const taskPeak3s = peak(workers.taskStarts, 3_000);
    // Temporal's task-queue limiter at 4 tasks/s: its token bucket admits a small burst, and start times
    // measured on the worker jitter, so check a 3 s window (≤ 12 + 4; unthrottled it would be ~60) and the 1 s peak loosely.
    expect(taskPeak3s).toBeLessThanOrEqual(16);
    expect(taskPeak).toBeLessThanOrEqual(8);
    // Each submit makes ≤ 2 calls (lookup + POST): ≤ 2 × 16 calls in any 3 s.
    expect(peak(times, 3_000)).toBeLessThanOrEqual(32);
    expect(throttled).toBeGreaterThan(0);
    // Accepted calls never exceed the API's own window (the fake enforces it; this checks the accounting).
    console.log(
      `429 storm: ${workers.taskStarts.length} tasks (peak ${taskPeak}/s, ${taskPeak3s}/3s), ${calls.length} calls, ${throttled} throttled, peak ${peak1s} calls/s, ${elapsed} ms`,
    );
  }, 60_000);

  it('a dry run takes no quota: dry-run isolations do not wait on the limiter', async () => {
    // One call a minute: limited, the 6 isolations below would take 5 minutes.
    const cfg = defenderConfigFromEnv({ DEFENDER_CALLS_PER_MINUTE: '1', DEFENDER_CALLS_PER_HOUR: '60' });
    expect(cfg.dryRun).toBe(true);
    const dry = await startWorkers(cfg);
    const { client: c, connection: conn } = await testClient();
    try {
      const reqs: DefenderSubmitRequest[] = Array.from({ length: 6 }, (_, i) => ({
        key: `dry-${i}`,
        run: { workflowId: 'wf', playbook: 'p', playbookVersion: 1, stepId: 'isolate', detectionId: 'd' },
        action: 'isolate',
        machineId: `${i}`.padStart(40, 'd'),
        params: { type: 'full' },
      }));
      const handle = await c.workflow.start('defenderSteps', {
        taskQueue: dry.taskQueue,
        workflowId: `dry-${dry.taskQueue}`,
        args: [{ reqs, stepTimeoutMs: 600_000, taskQueue: dry.defenderQueue }],
      });
      const outcome = await Promise.race([
        handle.result() as Promise<StepOutcome[]>,
        new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), 30_000)),
      ]);
      if (outcome === 'still waiting') await handle.terminate('waited on the limiter');
      expect(outcome).not.toBe('still waiting');
      expect((outcome as StepOutcome[]).map((o) => [o.final, o.submit?.dryRun])).toEqual(
        reqs.map(() => ['Succeeded', true]),
      );
    } finally {
      await dry.stop();
      await conn.close();
    }
  }, 60_000);
});
