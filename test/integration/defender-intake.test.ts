// Alert intake by polling: new and updated alerts are handed to intakeDetections exactly once, across a
// worker restart, continue-as-new, equal lastUpdateTime at a page boundary and a failed intake call.
import type { Client, Connection } from '@temporalio/client';
import type { Detection } from '../../core/detection';
import { iso7, type FakeDefender } from '../fakes/defender/fake-defender';
import { liveConfig, startFake, startWorkers, type Workers } from '../fakes/defender/harness';
import { testClient, uniqueTaskQueue } from '../support/temporal';
import type { DefenderPollerState } from '../../workflows/defender-intake';

let fake: FakeDefender;
let client: Client;
let connection: Connection;
let workers: Workers | undefined;

afterAll(async () => {
  await workers?.stop();
  await connection?.close();
  await fake?.stop();
});

async function until(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Defender alert poller', () => {
  it('hands each new or updated confirmed alert over exactly once across a worker restart', async () => {
    fake = await startFake();
    ({ client, connection } = await testClient());
    const taskQueue = uniqueTaskQueue('intake');
    const received: Array<{ key: string; detection: Detection }> = [];
    let failOnce = true;
    const intake = {
      async intakeDetections(
        detections: Detection[],
        meta?: { keys: string[] },
      ): Promise<{ accepted: number }> {
        if (failOnce) {
          failOnce = false;
          throw new Error('intake briefly unavailable');
        }
        detections.forEach((d, i) => received.push({ key: meta!.keys[i], detection: d }));
        return { accepted: detections.length };
      },
    };
    const base = Date.now() - 30_000;
    const tp = { classification: 'TruePositive', status: 'InProgress' };
    // Batch 1, in creation order; page size 3: alerts 3 and 4 (index 2, 3) share a lastUpdateTime across
    // the page boundary.
    const a = [
      fake.addAlert({ ...tp, lastUpdateTime: iso7(base + 1_000), severity: 'High' }),
      fake.addAlert({ lastUpdateTime: iso7(base + 2_000) }), // unclassified: not confirmed
      fake.addAlert({ ...tp, lastUpdateTime: iso7(base + 3_000) }),
      fake.addAlert({ ...tp, lastUpdateTime: iso7(base + 3_000) }),
      fake.addAlert({ classification: 'FalsePositive', lastUpdateTime: iso7(base + 4_000) }),
      fake.addAlert({ ...tp, lastUpdateTime: iso7(base + 5_000) }),
      fake.addAlert({ lastUpdateTime: iso7(base + 5_500) }),
    ];
    const key = (x: { id: string; lastUpdateTime: string }) => `${x.id}|${x.lastUpdateTime}`;
    const cfg = liveConfig(fake);
    workers = await startWorkers(cfg, { taskQueue, extraActivities: intake });
    const workflowId = `poller-${taskQueue}`;
    const handle = await client.workflow.start('defenderAlertPoller', {
      taskQueue,
      workflowId,
      args: [
        {
          intervalMs: 300,
          pageSize: 3,
          overlapMs: 0,
          lookbackMs: 60_000,
          pollsPerRun: 3,
          defenderTaskQueue: workers.defenderQueue,
        },
      ],
    });
    const batch1 = [a[0], a[2], a[3], a[5]].map(key);
    await until('batch 1', () => received.length >= batch1.length);
    // The pass that handed batch 1 over completes and moves the cursor to the newest alert seen.
    let cursor1: string | undefined;
    const end = Date.now() + 10_000;
    while (cursor1 !== a[6].lastUpdateTime && Date.now() < end) {
      cursor1 = (await handle.query<DefenderPollerState>('defenderPollerState')).cursor;
    }

    // Stop every worker mid-life; meanwhile Defender changes.
    await workers.stop();
    workers = undefined;
    const b = [
      // Same lastUpdateTime as the newest alert already handled: must still be picked up.
      fake.addAlert({ ...tp, lastUpdateTime: a[6].lastUpdateTime }),
      fake.addAlert({ ...tp, lastUpdateTime: iso7(base + 8_000) }),
      fake.addAlert({ classification: 'InformationalExpectedActivity', lastUpdateTime: iso7(base + 8_500) }),
    ];
    fake.touchAlert(a[1].id, { classification: 'TruePositive' }, iso7(base + 9_000)); // newly confirmed
    fake.touchAlert(a[0].id, { status: 'Resolved' }, iso7(base + 9_500)); // updated: a new version

    workers = await startWorkers(cfg, { taskQueue, extraActivities: intake });
    const batch2 = [b[0], b[1], a[1], a[0]].map(key);
    await until('batch 2', () => received.length >= batch1.length + batch2.length);
    // A few more polls (and a continue-as-new): nothing new may arrive.
    await new Promise((r) => setTimeout(r, 1_500));
    const state = await handle.query<DefenderPollerState>('defenderPollerState');

    const keys = received.map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length); // nothing twice
    expect(keys.sort()).toEqual([...batch1, ...batch2].sort());
    expect(cursor1).toBe(a[6].lastUpdateTime);
    expect(state.cursor).toBe(iso7(base + 9_500));
    // Continue-as-new happened (3 polls per run) and the chain kept its cursor.
    const desc = await handle.describe();
    expect(desc.status.name).toBe('RUNNING');
    const history = await client.workflow.getHandle(workflowId, desc.runId).fetchHistory();
    expect(history.events?.length).toBeLessThan(200);
    const firstRun = await client.workflow.getHandle(workflowId, handle.firstExecutionRunId).describe();
    expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');
    // The detection is the normalized spec §5 shape.
    const d = received.find((r) => r.key === batch1[0])!.detection;
    expect(d).toMatchObject({
      id: a[0].id,
      source: 'defender',
      status: 'confirmed',
      severity: 'high',
      alert_ids: [a[0].id],
    });
    await handle.terminate('test done');
  }, 60_000);
});
