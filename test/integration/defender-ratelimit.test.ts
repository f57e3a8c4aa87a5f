// The Defender quota held in API calls as Defender counts them (a sliding window at the fake), by one worker
// and by two sharing it; the quota's burst let through at once; a 429 storm from the API ridden out
// (Retry-After, which holds the process's calls) without any step failing; a dry run takes no quota.
import type { Client, Connection } from '@temporalio/client';
import type { DefenderSubmitRequest } from '../../core/effects';
import { defenderConfigFromEnv } from '../../integrations/defender/config';
import type { FakeDefender, RecordedCall } from '../fakes/defender/fake-defender';
import type { Quota } from '../../integrations/defender/quota';
import { liveConfig, startFake, startWorkers, type Workers } from '../fakes/defender/harness';
import type { StepOutcome } from '../fakes/defender/workflows';
import { testClient } from '../support/temporal';
import { peakInWindow } from '../support/windows';

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
const peak = peakInWindow;

function isolate(f: FakeDefender, i: number, prefix: string): DefenderSubmitRequest {
  const machineId = `${i}`.padStart(40, prefix);
  f.addMachine(machineId);
  return {
    key: `${prefix}-${i}`,
    run: { workflowId: 'wf', playbook: 'p', playbookVersion: 1, stepId: 'isolate', detectionId: 'd' },
    action: 'isolate',
    machineId,
    params: { type: 'full' },
  };
}

/** A status poll: a GET of one action, or one list read of the polls that came together. */
function isPoll(x: RecordedCall): boolean {
  return (
    x.method === 'GET' &&
    (/^\/api\/machineactions\/[^/]+$/.test(x.path) || /^id in \(/.test(x.query.$filter ?? ''))
  );
}

/** No 429, and no sliding window at the fake over the quota. */
function expectQuotaKept(f: FakeDefender, quota: Quota): RecordedCall[] {
  const calls = f.apiCalls();
  expect(calls.filter((x) => x.status === 429)).toHaveLength(0);
  expect(
    peak(
      calls.map((x) => x.at),
      quota.windowMs,
    ),
  ).toBeLessThanOrEqual(quota.calls);
  return calls;
}

/**
 * A fake that counts `quota` as Defender does, `workers` harnesses (each a worker process) holding the same
 * quota, and a Temporal client; all stopped after `fn`.
 */
async function withQuota(
  quota: Quota,
  lifecycle: { pendingMs: number; inProgressMs: number },
  fn: (s: { f: FakeDefender; ws: Workers[]; c: Client }) => Promise<void>,
  opts: { workers?: number; extraActivities?: object } = {},
): Promise<void> {
  const f = await startFake({
    rateLimit: { limit: quota.calls, windowMs: quota.windowMs },
    lifecycle: { ...lifecycle, final: 'Succeeded' },
  });
  const cfg = { ...liveConfig(f, { DEFENDER_POLL_INTERVAL_MS: '1000' }), quotas: [quota] };
  const ws: Workers[] = [];
  const { client: c, connection: conn } = await testClient();
  try {
    for (let i = 0; i < (opts.workers ?? 1); i++)
      ws.push(
        await startWorkers(cfg, { extraActivities: opts.extraActivities, taskQueue: ws[0]?.taskQueue }),
      );
    await fn({ f, ws, c });
  } finally {
    for (const w of ws) {
      await w.stop();
      await w.client?.close();
    }
    await conn.close();
    await f.stop();
  }
}

describe('Defender rate limits', () => {
  it('holds the quota in API calls in every sliding window: 20 devices, polls, lookups and the alert poller, no 429', async () => {
    // "10 calls a minute", ten times faster: 10 calls in any 6 s, as the fake counts them (sliding).
    const quota = { calls: 10, windowMs: 6_000 };
    const intake = { intakeDetections: async (d: unknown[]) => ({ accepted: d.length }) };
    await withQuota(
      quota,
      { pendingMs: 500, inProgressMs: 300 },
      async ({ f, ws: [w], c }) => {
        const reqs = Array.from({ length: 20 }, (_, i) => isolate(f, i, 'a'));
        // Two POST answers are lost: those steps look their action up (one more call each).
        for (const r of reqs.slice(0, 2))
          f.loseNextResponse((m, p) => m === 'POST' && p === `/api/machines/${r.machineId}/isolate`);
        const poller = await c.workflow.start('defenderAlertPoller', {
          taskQueue: w.taskQueue,
          workflowId: `quota-poller-${w.taskQueue}`,
          args: [{ intervalMs: 3_000, lookbackMs: 60_000, defenderTaskQueue: w.defenderQueue }],
        });
        const outcomes: StepOutcome[] = await c.workflow.execute('defenderSteps', {
          taskQueue: w.taskQueue,
          workflowId: `quota-${w.taskQueue}`,
          args: [{ reqs, stepTimeoutMs: 300_000, taskQueue: w.defenderQueue }],
        });
        await poller.terminate('test done');
        expect(outcomes.map((o) => o.error)).toEqual(reqs.map(() => undefined));
        expect(outcomes.map((o) => o.final)).toEqual(reqs.map(() => 'Succeeded'));
        expect(f.actions.map((a) => a.machineId).sort()).toEqual(reqs.map((r) => r.machineId).sort());
        const calls = expectQuotaKept(f, quota);
        // Every kind of call took part: POSTs, status polls, lookups, alert pages.
        const kinds = new Set(
          calls.map((x) =>
            x.method === 'POST'
              ? 'post'
              : x.path === '/api/alerts'
                ? 'alerts'
                : isPoll(x)
                  ? 'poll'
                  : 'lookup',
          ),
        );
        expect([...kinds].sort()).toEqual(['alerts', 'lookup', 'poll', 'post']);
        // At most one call per activity task.
        expect(calls.length).toBeLessThanOrEqual(w.taskStarts.length);
      },
      { extraActivities: intake },
    );
  }, 240_000);

  it('lets the quota burst through at once: 20 devices POSTed together when the minute allows them', async () => {
    // 100 calls a minute: the 20 POSTs and their polls fit in one window. An even pace of the quota (what
    // Temporal's task-queue rate limit does, ~1.6 tasks/s here) would spread the 20 POSTs over 12 s or more.
    const quota = { calls: 100, windowMs: 60_000 };
    await withQuota(quota, { pendingMs: 200, inProgressMs: 200 }, async ({ f, ws: [w], c }) => {
      const reqs = Array.from({ length: 20 }, (_, i) => isolate(f, i, 'b'));
      const outcomes: StepOutcome[] = await c.workflow.execute('defenderSteps', {
        taskQueue: w.taskQueue,
        workflowId: `burst-${w.taskQueue}`,
        args: [{ reqs, stepTimeoutMs: 300_000, taskQueue: w.defenderQueue }],
      });
      expect(outcomes.map((o) => o.final)).toEqual(reqs.map(() => 'Succeeded'));
      const posts = expectQuotaKept(f, quota)
        .filter((x) => x.method === 'POST')
        .map((x) => x.at);
      expect(posts).toHaveLength(20);
      // Together, not paced.
      expect(Math.max(...posts) - Math.min(...posts)).toBeLessThan(6_000);
      // Their status polls were read together: a GET each would be at least 20 calls.
      const polls = f.apiCalls(isPoll);
      expect(polls.length).toBeGreaterThan(0);
      expect(polls.length).toBeLessThan(10);
    });
  }, 180_000);

  it('two workers on the same queues share one quota', async () => {
    const quota = { calls: 10, windowMs: 6_000 };
    await withQuota(
      quota,
      { pendingMs: 300, inProgressMs: 300 },
      async ({ f, ws: [a, b], c }) => {
        // Each finds the other among the Defender queue's pollers (what a worker does every 15 s) and
        // keeps half of each window.
        const deadline = Date.now() + 30_000;
        while ((a.gate.sharedBy !== 2 || b.gate.sharedBy !== 2) && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 200));
        expect([a.gate.sharedBy, b.gate.sharedBy]).toEqual([2, 2]);
        expect(a.gate.share[0]).toEqual({ calls: 5, windowMs: 6_000 });
        const reqs = Array.from({ length: 16 }, (_, i) => isolate(f, i, 'e'));
        const outcomes: StepOutcome[] = await c.workflow.execute('defenderSteps', {
          taskQueue: a.taskQueue,
          workflowId: `shared-${a.taskQueue}`,
          args: [{ reqs, stepTimeoutMs: 300_000, taskQueue: a.defenderQueue }],
        });
        expect(outcomes.map((o) => o.final)).toEqual(reqs.map(() => 'Succeeded'));
        expect(f.actions.map((x) => x.machineId).sort()).toEqual(reqs.map((r) => r.machineId).sort());
        // Both workers called Defender, and together stayed within every window.
        expect(a.client?.apiCalls).toBeGreaterThan(0);
        expect(b.client?.apiCalls).toBeGreaterThan(0);
        expectQuotaKept(f, quota);
      },
      { workers: 2 },
    );
  }, 240_000);

  it('rides out a 429 storm with no failed step', async () => {
    // API: 3 calls in any second, then 429 Retry-After: 1; Nightshift believes it may make 240 a minute.
    fake = await startFake({
      rateLimit: { limit: 3, windowMs: 1_000, retryAfterS: 1 },
      lifecycle: { pendingMs: 300, inProgressMs: 300, final: 'Succeeded' },
    });
    const cfg = liveConfig(fake, {
      DEFENDER_CALLS_PER_MINUTE: '240',
      DEFENDER_CALLS_PER_HOUR: '100000',
      DEFENDER_POLL_INTERVAL_MS: '300',
    });
    workers = await startWorkers(cfg);
    ({ client, connection } = await testClient());
    const reqs = Array.from({ length: 6 }, (_, i) => isolate(fake, i, 'c'));
    const outcomes: StepOutcome[] = await client.workflow.execute('defenderSteps', {
      taskQueue: workers.taskQueue,
      workflowId: `storm-${workers.taskQueue}`,
      args: [{ reqs, stepTimeoutMs: 60_000, taskQueue: workers.defenderQueue }],
    });
    expect(outcomes.map((o) => o.error)).toEqual(reqs.map(() => undefined));
    expect(outcomes.map((o) => o.final)).toEqual(reqs.map(() => 'Succeeded'));
    expect(fake.actions).toHaveLength(6);
    const calls = fake.apiCalls();
    expect(calls.filter((c) => c.status === 429).length).toBeGreaterThan(0);
    // A 429 holds every call of the process until its Retry-After (1 s): only calls already on their way
    // when it came back may still arrive.
    for (const t of calls.filter((c) => c.status === 429).map((c) => c.at)) {
      expect(calls.filter((c) => c.at > t + 250 && c.at < t + 950).map((c) => c.at - t)).toEqual([]);
    }
    // Each task made at most one call.
    expect(calls.length).toBeLessThanOrEqual(workers.taskStarts.length);
  }, 60_000);

  it('a dry run takes no quota: dry-run isolations do not wait on the limiter', async () => {
    // Three calls a minute: limited, the 6 isolations below would take minutes.
    const cfg = defenderConfigFromEnv({ DEFENDER_CALLS_PER_MINUTE: '3', DEFENDER_CALLS_PER_HOUR: '60' });
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
