// The console's Release as the workflow it starts (workflows/device-release.ts): the same Defender
// activities, queue and fake as playbooks; once per containment; its history recorded for replay.
import { WorkflowExecutionAlreadyStartedError, type Client, type Connection } from '@temporalio/client';
import { ensureSearchAttributes } from '../../platform/temporal/search-attributes';
import {
  DEVICE_RELEASE_WORKFLOW,
  releaseWorkflowId,
  type ReleaseInput,
  type ReleaseOutcome,
} from '../../workflows/device-release';
import { FakeDefender } from '../fakes/defender/fake-defender';
import { liveConfig, startFake, startWorkers, type Workers } from '../fakes/defender/harness';
import { keepHistory } from '../support/replay-record';
import { testClient } from '../support/temporal';

let fake: FakeDefender;
let workers: Workers;
let client: Client;
let connection: Connection;

beforeAll(async () => {
  fake = await startFake();
  ({ client, connection } = await testClient());
  await ensureSearchAttributes(connection, 'default');
  workers = await startWorkers(liveConfig(fake));
}, 60_000);

afterAll(async () => {
  await workers?.stop();
  await connection?.close();
  await fake?.stop();
});

const input = (deviceId: string, action: ReleaseInput['action']): ReleaseInput => ({
  deviceId,
  action,
  personId: 'ben',
  personName: 'Ben Oduya',
  reason: '  reimaged,\n ticket 4521 ',
  channel: 'console',
  containedBy: { workflowId: 'nightshift/contain/incident/inc-4521', actionId: 'act-1' },
});

describe('device release workflow', () => {
  jest.setTimeout(60_000);

  it('releases through Defender with who and why, waits for the final state, and runs once per containment', async () => {
    const machine = `rel1${'ab'.repeat(18)}`;
    fake.addMachine(machine);
    const workflowId = releaseWorkflowId(machine, 'release', 'act-1');
    const opts = { taskQueue: workers.taskQueue, workflowId, args: [input(machine, 'release')] };
    const handle = await client.workflow.start(DEVICE_RELEASE_WORKFLOW, {
      ...opts,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    const out = (await handle.result()) as ReleaseOutcome;
    expect(out).toMatchObject({ status: 'Succeeded', dryRun: false, attached: false });
    const posts = fake.apiCalls((c) => c.method === 'POST' && c.path.endsWith(`/${machine}/unisolate`));
    expect(posts).toHaveLength(1);
    // Defender's own record names the person, the channel and the reason (whitespace folded), then
    // the idempotency tag the Defender activities add to every comment.
    expect((posts[0].body as { Comment: string }).Comment).toMatch(
      /^Ben Oduya via Nightshift console: reimaged, ticket 4521 \[ns-[0-9a-f]+\]$/,
    );
    expect(out.actionId).toBeTruthy();

    // A second click (or a second responder) finds the first release, even after it finished.
    await expect(
      client.workflow.start(DEVICE_RELEASE_WORKFLOW, { ...opts, workflowIdReusePolicy: 'REJECT_DUPLICATE' }),
    ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    expect(
      fake.apiCalls((c) => c.method === 'POST' && c.path.endsWith(`/${machine}/unisolate`)),
    ).toHaveLength(1);
    await keepHistory('device-release', handle);
  });

  it('removes an app restriction with Defender’s unrestrict action', async () => {
    const machine = `rel2${'ab'.repeat(18)}`;
    fake.addMachine(machine);
    const out = (await client.workflow.execute(DEVICE_RELEASE_WORKFLOW, {
      taskQueue: workers.taskQueue,
      workflowId: releaseWorkflowId(machine, 'unrestrict_apps', 'act-2'),
      args: [input(machine, 'unrestrict_apps')],
    })) as ReleaseOutcome;
    expect(out.status).toBe('Succeeded');
    expect(
      fake.apiCalls((c) => c.method === 'POST' && c.path.endsWith(`/${machine}/unrestrictCodeExecution`)),
    ).toHaveLength(1);
  });
});
