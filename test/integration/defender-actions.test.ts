// Defender machine actions end to end: a real workflow (test/fakes/defender/workflows.ts) using the
// exported activity options, the real Temporal server, the real client (msal + undici) and the fake.
import type { Client, Connection } from '@temporalio/client';
import type { DefenderSubmitRequest } from '../../core/effects';
import { FakeDefender } from '../fakes/defender/fake-defender';
import { liveConfig, startFake, startWorkers, type Workers } from '../fakes/defender/harness';
import type { StepOutcome } from '../fakes/defender/workflows';
import { testClient } from '../support/temporal';

let fake: FakeDefender;
let workers: Workers;
let client: Client;
let connection: Connection;
let seq = 0;
/** Info lines the Defender activities logged (fields), for the one-line-per-effect checks. */
const lines: Array<Record<string, unknown>> = [];
const capture = {
  info: (o: object) => void lines.push({ ...o }),
  warn: (o: object) => void lines.push({ ...o, level: 'warn' }),
};
const effects = (machineId: string) => lines.filter((l) => l.effect && l.machineId === machineId);

function machine(): string {
  seq += 1;
  const id = `${String(seq).padStart(4, '0')}${'ab'.repeat(18)}`;
  fake.addMachine(id);
  return id;
}

function req(
  action: DefenderSubmitRequest['action'],
  machineId: string | undefined,
  params: Record<string, string> = {},
  key = `k-${action}-${machineId}-${Math.random()}`,
): DefenderSubmitRequest {
  return {
    key,
    run: {
      workflowId: 'wf-1',
      playbook: 'contain',
      playbookVersion: 3,
      stepId: 'isolate',
      detectionId: 'da1',
    },
    action,
    machineId,
    params,
  };
}

async function step(r: DefenderSubmitRequest, stepTimeoutMs = 20_000): Promise<StepOutcome> {
  return client.workflow.execute('defenderStep', {
    taskQueue: workers.taskQueue,
    workflowId: `step-${r.key}`,
    args: [{ req: r, stepTimeoutMs, taskQueue: workers.defenderQueue }],
  });
}

beforeAll(async () => {
  fake = await startFake();
  workers = await startWorkers(liveConfig(fake), { logger: capture });
  ({ client, connection } = await testClient());
}, 30_000);

afterAll(async () => {
  await workers?.stop();
  await connection?.close();
  await workers?.client?.close();
  await fake?.stop();
});

describe('Defender machine actions through Temporal', () => {
  it('runs every spec action to its final state', async () => {
    const m = Array.from({ length: 8 }, () => machine());
    const sha1 = '8563f95b2f8a284fc99da44500cd51a77c1ff36c';
    const alert = fake.addAlert({});
    const cases: Array<[DefenderSubmitRequest, string | undefined, string | null | undefined]> = [
      [req('isolate', m[0], { type: 'full', comment: 'contain da1' }), 'Isolate', 'Full'],
      [req('isolate', m[1], { type: 'selective' }), 'Isolate', 'Selective'],
      [req('release', m[2]), 'Unisolate', null],
      [req('scan', m[3], { type: 'full' }), 'RunAntiVirusScan', 'Full'],
      [req('collect_package', m[4]), 'CollectInvestigationPackage', null],
      [req('restrict_apps', m[5]), 'RestrictCodeExecution', null],
      [req('unrestrict_apps', m[6]), 'UnrestrictCodeExecution', null],
      [req('quarantine_file', m[7], { sha1 }), 'StopAndQuarantineFile', null],
      [
        req('block_indicator', undefined, {
          type: 'sha256',
          value: 'dc0ade0c95d6db98882bc8fa6707e64353cd6f7767ff48d6a81a6c2aef21c608',
          action: 'block_and_remediate',
          title: 'block it',
          expires: '30d',
        }),
        undefined,
        undefined,
      ],
      [
        {
          ...req('update_alert', undefined, {
            status: 'resolved',
            classification: 'true_positive',
            determination: 'malware',
            comment: 'handled',
          }),
          alertIds: [alert.id],
        },
        undefined,
        undefined,
      ],
    ];
    const outcomes = await Promise.all(cases.map(([r]) => step(r)));
    for (const [i, o] of outcomes.entries()) {
      expect({ i, error: o.error, final: o.final }).toEqual({ i, error: undefined, final: 'Succeeded' });
      expect(o.submit?.dryRun).toBe(false);
      const [r, type, scope] = cases[i];
      if (type) {
        const action = fake.actions.find((a) => a.id === o.submit?.actionId)!;
        expect(action).toMatchObject({ type, machineId: r.machineId, scope });
        expect(action.requestorComment).toMatch(/\[ns-[0-9a-f]{16}\]$/);
      }
    }
    expect(fake.actions.find((a) => a.machineId === m[0])!.requestorComment).toMatch(/^contain da1 \[ns-/);
    expect(fake.actions.find((a) => a.machineId === m[7])!.relatedFileInfo).toEqual({
      fileIdentifier: sha1,
      fileIdentifierType: 'Sha1',
    });
    expect(outcomes[8].submit?.indicatorId).toBe(fake.indicators[0].id);
    expect(fake.indicators[0]).toMatchObject({
      indicatorType: 'FileSha256',
      action: 'BlockAndRemediate',
      title: 'block it',
    });
    expect(alert).toMatchObject({
      status: 'Resolved',
      classification: 'TruePositive',
      determination: 'Malware',
    });
    expect((alert.comments as Array<{ comment: string }>)[0].comment).toMatch(/^handled \[ns-/);
    // Pending → InProgress → final is observed by polls (the fake's lifecycle is 100 ms + 100 ms): a GET
    // of one action, or one list read of the polls that came together.
    const polls = fake.apiCalls(
      (c) =>
        c.method === 'GET' &&
        (/^\/api\/machineactions\/[0-9a-f-]{36}$/.test(c.path) ||
          (c.path === '/api/machineactions' && /^id in \(/.test(c.query.$filter ?? ''))),
    );
    expect(polls.length).toBeGreaterThanOrEqual(1);
  });

  it('reports a Failed final state as the step result, not as an error', async () => {
    const m = machine();
    fake.script(m, 'RunAntiVirusScan', { pendingMs: 50, inProgressMs: 300, final: 'Failed' });
    const o = await step(req('scan', m, { type: 'quick' }));
    expect(o).toMatchObject({ final: 'Failed', submit: { attached: false } });
  });

  it('attaches a second isolate of the same machine to the pending one (400 ActiveRequestAlreadyExists)', async () => {
    const m = machine();
    fake.script(m, 'Isolate', { pendingMs: 800, inProgressMs: 200, final: 'Succeeded' });
    const first = await client.workflow.start('defenderStep', {
      taskQueue: workers.taskQueue,
      workflowId: `dup-a-${m}`,
      args: [
        {
          req: req('isolate', m, { type: 'full' }, `a-${m}`),
          stepTimeoutMs: 20_000,
          taskQueue: workers.defenderQueue,
        },
      ],
    });
    // Wait until the first action exists, then race a second step (another playbook run) at it: its
    // first attempt POSTs, meets the duplicate rule, and its next attempt looks the action up.
    while (!fake.actions.some((a) => a.machineId === m)) await new Promise((r) => setTimeout(r, 20));
    const second = await step(req('isolate', m, { type: 'full' }, `b-${m}`));
    const firstResult: StepOutcome = await first.result();
    expect(fake.actions.filter((a) => a.machineId === m)).toHaveLength(1);
    expect(second.submit).toMatchObject({ attached: true, actionId: firstResult.submit?.actionId });
    expect(firstResult.submit?.attached).toBe(false);
    expect(second.final).toBe('Succeeded');
    expect(
      fake.apiCalls((c) => c.method === 'POST' && c.path.endsWith(`${m}/isolate`)).map((c) => c.status),
    ).toEqual([201, 400]);
    // One info line per real effect: the action, ours for the first run, adopted by the second.
    const actionId = firstResult.submit?.actionId;
    expect(effects(m)).toEqual([
      expect.objectContaining({
        effect: 'defender.isolate',
        actionId,
        run: 'wf-1',
        step: 'isolate',
        adopted: false,
      }),
      expect.objectContaining({ effect: 'defender.isolate', actionId, adopted: true }),
    ]);
  });

  it('a step racing another run on the same machine attaches to its pending action: one action', async () => {
    const m = machine();
    fake.script(m, 'RestrictCodeExecution', { pendingMs: 1500, inProgressMs: 100, final: 'Succeeded' });
    const [r1, r2] = await Promise.all([
      step(req('restrict_apps', m, {}, `r1-${m}`)),
      new Promise((r) => setTimeout(r, 400)).then(() => step(req('restrict_apps', m, {}, `r2-${m}`))),
    ]);
    expect(r2.submit).toMatchObject({ attached: true, actionId: r1.submit?.actionId });
    expect(fake.actions.filter((x) => x.machineId === m && x.type === 'RestrictCodeExecution')).toHaveLength(
      1,
    );
    expect(
      fake
        .apiCalls((c) => c.method === 'POST' && c.path.endsWith(`${m}/restrictCodeExecution`))
        .map((c) => c.status),
    ).toEqual([201, 400]);
  });

  it('a duplicate answered with the existing action (201) attaches too', async () => {
    const m = machine();
    fake.opts.duplicateMode = 'existing';
    try {
      fake.script(m, 'Isolate', { pendingMs: 800, inProgressMs: 100, final: 'Succeeded' });
      const first = step(req('isolate', m, {}, `e1-${m}`));
      while (!fake.actions.some((a) => a.machineId === m)) await new Promise((r) => setTimeout(r, 20));
      const second = await step(req('isolate', m, {}, `e2-${m}`));
      expect(second.submit?.attached).toBe(true);
      expect(second.submit?.actionId).toBe((await first).submit?.actionId);
      expect(fake.actions.filter((a) => a.machineId === m)).toHaveLength(1);
    } finally {
      fake.opts.duplicateMode = 'error';
    }
  });

  it('a retried submit whose POST answer was lost reuses its own action', async () => {
    const m = machine();
    fake.script(m, 'CollectInvestigationPackage', { pendingMs: 100, inProgressMs: 100, final: 'Succeeded' });
    fake.loseNextResponse((meth, p) => meth === 'POST' && p.endsWith(`${m}/collectInvestigationPackage`));
    const o = await step(req('collect_package', m));
    expect(o.final).toBe('Succeeded');
    expect(o.submit?.attached).toBe(false);
    expect(fake.actions.filter((a) => a.machineId === m)).toHaveLength(1);
    expect(
      fake.apiCalls((c) => c.method === 'POST' && c.path.endsWith(`${m}/collectInvestigationPackage`)),
    ).toHaveLength(1);
    // The attempt that lost its answer logged nothing; the one that found its action logs it once.
    expect(effects(m)).toEqual([
      expect.objectContaining({
        effect: 'defender.collect_package',
        actionId: o.submit?.actionId,
        adopted: false,
      }),
    ]);
  });

  it('updates several alerts one call per task, and a lost answer never appends a comment twice', async () => {
    const alerts = [fake.addAlert({}), fake.addAlert({}), fake.addAlert({})];
    fake.loseNextResponse((meth, p) => meth === 'PATCH' && p === `/api/alerts/${alerts[1].id}`);
    const calls = fake.apiCalls().length;
    const o = await step({
      ...req('update_alert', undefined, { status: 'resolved', comment: 'contained' }),
      alertIds: alerts.map((a) => a.id),
    });
    expect(o.error).toBeUndefined();
    expect(o.final).toBe('Succeeded');
    for (const a of alerts) {
      expect(a.status).toBe('Resolved');
      expect((a.comments as Array<{ comment: string }>).map((c) => c.comment)).toEqual([
        expect.stringMatching(/^contained \[ns-[0-9a-f]{16}\]$/),
      ]);
    }
    // PATCH ×3, the lost one read back once and patched again without its comment.
    expect(
      fake
        .apiCalls()
        .slice(calls)
        .map((c) => `${c.method} ${alerts.findIndex((a) => c.path.endsWith(a.id))}`),
    ).toEqual(['PATCH 0', 'PATCH 1', 'GET 1', 'PATCH 1', 'PATCH 2']);
  }, 30_000);

  it('fails an unknown machine at once with the API message', async () => {
    const o = await step(req('isolate', 'ffffffffffffffffffffffffffffffffffffffff', { type: 'full' }));
    expect(o.error).toEqual({
      type: 'DefenderNotFound',
      message:
        'Defender: machine ffffffffffffffffffffffffffffffffffffffff not found (404 ResourceNotFound: Machine ffffffffffffffffffffffffffffffffffffffff was not found)',
    });
    // Non-retryable: exactly one POST.
    expect(
      fake.apiCalls((c) => c.path === '/api/machines/ffffffffffffffffffffffffffffffffffffffff/isolate'),
    ).toHaveLength(1);
  });

  it('rejects bad parameters without calling Defender', async () => {
    const before = fake.calls.length;
    const o = await step(req('quarantine_file', machine(), { sha1: 'nope' }));
    expect(o.error?.type).toBe('DefenderInvalidRequest');
    expect(o.error?.message).toContain('sha1');
    expect(fake.calls.length).toBe(before);
  });

  it('times out a step whose action stays pending', async () => {
    const m = machine();
    fake.script(m, 'Isolate', { pendingMs: 60_000, inProgressMs: 0, final: 'Succeeded' });
    const o = await step(req('isolate', m), 1_500);
    expect(o.submit?.status).toBe('Pending');
    expect(o.error?.type).toBe('Timeout');
  });

  it('retries a 5xx and survives a token revoked before its expiry', async () => {
    const m = machine();
    fake.revokeTokens();
    fake.failNext((meth, p) => meth === 'POST' && p.endsWith(`${m}/isolate`), 503, {
      error: { code: 'ServiceUnavailable', message: 'try later', target: '|x.' },
    });
    const tokensBefore = fake.tokenRequests.length;
    const o = await step(req('isolate', m));
    expect(o.final).toBe('Succeeded');
    expect(fake.tokenRequests.length).toBe(tokensBefore + 1);
    expect(fake.actions.filter((a) => a.machineId === m)).toHaveLength(1);
  }, 30_000);
});

describe('Defender token endpoint failures through Temporal', () => {
  async function isolateWithFreshWorkers(
    prepare: (f: FakeDefender) => void,
    env: Record<string, string> = {},
  ): Promise<{ outcome: StepOutcome; fake: FakeDefender }> {
    const f = await startFake();
    const w = await startWorkers(liveConfig(f, env));
    try {
      const m = `${'cd'.repeat(20)}`;
      f.addMachine(m);
      prepare(f);
      const r = req('isolate', m, { type: 'full' }, `token-${w.taskQueue}`);
      const outcome: StepOutcome = await client.workflow.execute('defenderStep', {
        taskQueue: w.taskQueue,
        workflowId: `token-${w.taskQueue}`,
        args: [{ req: r, stepTimeoutMs: 30_000, taskQueue: w.defenderQueue }],
      });
      return { outcome, fake: f };
    } finally {
      await w.stop();
      await w.client?.close();
      await f.stop();
    }
  }

  it('one transient failure of the login host is retried, reaches the network again, and the action happens', async () => {
    const { outcome, fake: f } = await isolateWithFreshWorkers((x) =>
      x.failNextToken(
        503,
        {
          error: 'temporarily_unavailable',
          error_description: 'AADSTS90033: A transient error has occurred. Please try again.',
          error_codes: [90033],
        },
        { 'retry-after': '30' },
      ),
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.final).toBe('Succeeded');
    expect(f.tokenAttempts()).toHaveLength(2);
    expect(f.actions).toHaveLength(1);
  }, 30_000);

  it('a rejected secret fails the step at once, non-retryable, naming the reason and not the secret', async () => {
    const { outcome, fake: f } = await isolateWithFreshWorkers(() => undefined, {
      DEFENDER_CLIENT_SECRET: 'not-the-secret-0123456789',
    });
    expect(outcome.error?.type).toBe('DefenderAuthFailed');
    expect(outcome.error?.message).toContain('invalid_client: AADSTS7000215');
    expect(outcome.error?.message).not.toContain('not-the-secret-0123456789');
    expect(f.tokenAttempts()).toHaveLength(1);
    expect(f.actions).toHaveLength(0);
  }, 30_000);
});
