// The issue-15 Defender activities against the fake, driven attempt by attempt as Temporal would
// (MockActivityEnvironment: attempt number and heartbeat details carried over): one API call per task,
// the lookup plan's fallbacks, live response idempotency after a lost answer, incident updates that keep
// people's tags and never comment twice.
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { RunRef } from '../../../core/effects';
import { DefenderClient } from '../../../integrations/defender/client';
import { createDefenderDepthActivities } from '../../../activities/defender-depth';
import type { DefenderDepthActivities } from '../../../core/defender-effects';
import { libraryScript } from '../../../integrations/defender/live-response';
import type { FakeDefender } from '../../fakes/defender/fake-defender';
import { liveConfig, startFake } from '../../fakes/defender/harness';

const H = (c: string) => c.repeat(40);
const RUN: RunRef = {
  workflowId: 'wf-1',
  playbook: 'pb',
  playbookVersion: 1,
  stepId: 's',
  detectionId: 'd-1',
};
let fake: FakeDefender;
let client: DefenderClient;
let acts: DefenderDepthActivities;
const effects: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  fake = await startFake({ lifecycle: { pendingMs: 30, inProgressMs: 30, final: 'Succeeded' } });
  client = new DefenderClient(liveConfig(fake));
  acts = createDefenderDepthActivities(liveConfig(fake), {
    client,
    logger: { info: (o) => effects.push(o as Record<string, unknown>) },
  });
});
afterAll(async () => {
  await client.close();
  await fake.stop();
});

/** Runs an activity as Temporal's retries would: each attempt a task with the last heartbeat's details. */
async function drive<A, R>(
  fn: (a: A) => Promise<R>,
  arg: A,
  opts: { maxAttempts?: number; beforeAttempt?: (n: number) => void } = {},
) {
  let details: unknown = undefined;
  const callsPerTask: number[] = [];
  for (let attempt = 1; attempt <= (opts.maxAttempts ?? 10); attempt++) {
    opts.beforeAttempt?.(attempt);
    const env = new MockActivityEnvironment({ attempt, heartbeatDetails: details });
    env.on('heartbeat', (d: unknown) => (details = d));
    const before = fake.apiCalls().length;
    try {
      const result: R = await env.run(fn, arg);
      callsPerTask.push(fake.apiCalls().length - before);
      return { result, tasks: attempt, callsPerTask };
    } catch (err) {
      callsPerTask.push(fake.apiCalls().length - before);
      if (err instanceof ApplicationFailure && ['DefenderContinue', 'DefenderBusy'].includes(err.type ?? ''))
        continue;
      if (err instanceof ApplicationFailure && !err.nonRetryable && opts.maxAttempts) continue;
      throw Object.assign(err as Error, { callsPerTask });
    }
  }
  throw new Error('too many attempts');
}

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ApplicationFailure);
  return e as ApplicationFailure;
}

describe('defenderLookupMachine', () => {
  beforeAll(() => {
    fake.addMachine(H('1'), 'wks-042.corp.example', 'Windows11', {
      machineTags: ['finance'],
      rbacGroupName: 'Workstations',
      lastIpAddress: '10.1.4.22',
    });
    fake.addMachine(H('2'), 'old-name', 'Windows11', { mergedIntoMachineId: H('1') });
    fake.addMachine(H('3'), 'twin', 'Windows11');
    fake.addMachine(H('4'), 'twin.corp.example', 'Windows11');
  });
  const req = (device: { id: string; name?: string; ip?: string }) => ({
    key: 'k',
    run: RUN,
    device,
    detectedAt: new Date().toISOString(),
  });

  it('a Red Canary host name: one call, found and enriched', async () => {
    const r = await drive(acts.defenderLookupMachine, req({ id: 'wks-042', name: 'wks-042' }));
    expect(r.result.mde).toMatchObject({
      status: 'found',
      id: H('1'),
      tags: ['finance'],
      group: 'Workstations',
      found_by: 'name',
    });
    expect(r.callsPerTask).toEqual([1]);
  });

  it('an unknown MDE id falls back to the name, one call per task', async () => {
    const r = await drive(acts.defenderLookupMachine, req({ id: H('9'), name: 'wks-042.corp.example' }));
    expect(r.result.mde).toMatchObject({ status: 'found', id: H('1'), found_by: 'name' });
    expect(r.callsPerTask).toEqual([1, 1]);
  });

  it('a merged machine is followed to the one it was merged into', async () => {
    const r = await drive(acts.defenderLookupMachine, req({ id: H('2') }));
    expect(r.result.mde).toMatchObject({ status: 'found', id: H('1') });
    expect(r.callsPerTask).toEqual([1, 1]);
  });

  it('two live matches are ambiguous, naming both; nothing matching falls through name and IP', async () => {
    const amb = await drive(acts.defenderLookupMachine, req({ id: 'twin' }));
    expect(amb.result.mde.status).toBe('ambiguous');
    expect(amb.result.mde.error).toContain(H('3'));
    expect(amb.result.mde.error).toContain(H('4'));
    expect(amb.result.mde.candidates.map((c) => c.id).sort()).toEqual([H('3'), H('4')]);
    const none = await drive(acts.defenderLookupMachine, req({ id: 'ghost', ip: '10.9.9.9' }));
    expect(none.result.mde).toMatchObject({
      status: 'not_found',
      error: 'no live, onboarded Defender machine matches ghost (looked up by name, then ip)',
    });
    expect(none.callsPerTask).toEqual([1, 1]);
  });

  it('a missing permission fails the lookup (the engine then fails closed)', async () => {
    const f = await startFake({ roles: { mde: ['Machine.Isolate'] } });
    const c = new DefenderClient(liveConfig(f));
    try {
      const a = createDefenderDepthActivities(liveConfig(f), {
        client: c,
        logger: { info: () => undefined },
      });
      const e = await failure(drive(a.defenderLookupMachine, req({ id: 'wks-042' })));
      expect([e.type, e.nonRetryable]).toEqual(['DefenderForbidden', true]);
      expect(e.message).toContain('Missing application roles');
    } finally {
      await c.close();
      await f.stop();
    }
  });
});

describe('defenderHunt', () => {
  beforeAll(() => {
    fake.hunting.tables.DeviceProcessEvents = [
      { DeviceId: H('1'), DeviceName: 'wks-042', SHA1: 'x\n| union DeviceLogonEvents' },
      { DeviceId: H('3'), DeviceName: 'twin', SHA1: 'x' },
    ];
  });
  const hunt = (value: unknown, extra: object = {}) => ({
    key: 'k',
    run: RUN,
    query: {
      text: ['DeviceProcessEvents | where SHA1 == ', ' | distinct DeviceId, DeviceName'],
      values: [value],
    },
    limit: 10,
    ...extra,
  });

  it('quotes the detection value and returns typed rows', async () => {
    const r = await drive(
      acts.defenderHunt,
      hunt('x\n| union DeviceLogonEvents', { columns: { DeviceId: 'string' } }),
    );
    expect(r.result).toMatchObject({
      rows: [{ DeviceId: H('1') }],
      row_count: 1,
      truncated: false,
      dryRun: false,
    });
    expect(fake.hunting.queries.at(-1)!.query).toMatch(
      /^DeviceProcessEvents \| where SHA1 == base64_decode_tostring\("[A-Za-z0-9+/=]+"\) \| distinct DeviceId, DeviceName\n\| take 11$/,
    );
  });

  it('names what is wrong: a value with no literal, a limit, a column the query lacks', async () => {
    expect((await failure(drive(acts.defenderHunt, hunt({ a: 1 })))).message).toBe(
      'Defender: hunt query: value 1 of the query is a map, which has no KQL literal',
    );
    expect((await failure(drive(acts.defenderHunt, hunt('x', { limit: 5000 })))).message).toMatch(
      /limit must be 1 to 1000/,
    );
    const e = await failure(drive(acts.defenderHunt, hunt('x', { columns: { Host: 'string' } })));
    expect([e.type, e.message]).toEqual([
      'DefenderHuntResult',
      'Defender: hunt: the query returned no column Host (its columns: DeviceId, DeviceName)',
    ]);
  });
});

describe('live response', () => {
  const machine = H('5');
  beforeAll(() => {
    fake.addMachine(machine, 'srv-5', 'WindowsServer2022', { processes: new Map([[777, 'evil.exe']]) });
  });

  it('installs the script when missing, and only lists the library when it is there', async () => {
    const req = { key: 'k', run: RUN, action: 'kill_process' as const, platform: 'windows' as const };
    const first = await drive(acts.defenderEnsureScript, req);
    expect(first.result).toMatchObject({
      uploaded: true,
      sha256: libraryScript('kill_process', 'windows').sha256,
    });
    expect(first.callsPerTask).toEqual([1, 1]);
    expect(effects.at(-1)).toMatchObject({
      effect: 'defender.library_upload',
      fileName: 'nightshift-kill-process.ps1',
    });
    const again = await drive(acts.defenderEnsureScript, req);
    expect(again).toMatchObject({ result: { uploaded: false }, callsPerTask: [1] });
  });

  it('runs the script once even when the answer to the POST is lost, then reads its result', async () => {
    const req = {
      key: 'wf-1/kill/0/x',
      run: RUN,
      action: 'kill_process' as const,
      platform: 'windows' as const,
      machineId: machine,
      params: { process_id: '777', process_name: 'evil.exe' },
    };
    fake.loseNextResponse((m, p) => m === 'POST' && p.endsWith('/runliveresponse'));
    const r = await drive(acts.defenderRunScript, req, { maxAttempts: 5 });
    expect(fake.actions.filter((a) => a.machineId === machine && a.type === 'LiveResponse')).toHaveLength(1);
    expect(r.callsPerTask).toEqual([1, 1]); // the lost POST, then the lookup that finds it
    await new Promise((res) => setTimeout(res, 120));
    const out = await drive(acts.defenderScriptResult, {
      actionId: r.result.actionId!,
      machineId: machine,
      status: 'Succeeded',
    });
    expect(out.result).toMatchObject({
      exit_code: 0,
      outcome: 'killed',
      detail: { process_id: 777, name: 'evil' },
    });
  });

  it('waits for another session on the device instead of adopting it', async () => {
    const m2 = H('6');
    fake.addMachine(m2, 'srv-6', 'WindowsServer2022');
    fake.liveResponse.putLibraryFile('other.ps1', 'x');
    fake.liveResponse.scripts.set('other.ps1', () => ({ exit_code: 0, output: 'ok' }));
    await client.call('POST', `/api/machines/${m2}/runliveresponse`, {
      body: {
        Commands: [{ type: 'RunScript', params: [{ key: 'ScriptName', value: 'other.ps1' }] }],
        Comment: 'someone else',
      },
    });
    const req = {
      key: 'k2',
      run: RUN,
      action: 'delete_file' as const,
      platform: 'windows' as const,
      machineId: m2,
      params: { path: 'C:\\x.exe' },
    };
    const env = new MockActivityEnvironment({ attempt: 1 });
    const e = await failure(env.run(acts.defenderRunScript, req));
    expect([e.type, e.message]).toEqual([
      'DefenderBusy',
      `Defender: a live response session is already active on ${m2}; trying again in 5 s`,
    ]);
  });

  it('a failed session reports its command errors', async () => {
    const m3 = H('8');
    fake.addMachine(m3, 'srv-8', 'WindowsServer2022');
    fake.liveResponse.library.delete('nightshift-delete-file.ps1');
    const r = await drive(acts.defenderRunScript, {
      key: 'k3',
      run: RUN,
      action: 'delete_file',
      platform: 'windows',
      machineId: m3,
      params: { path: 'C:\\x.exe' },
    });
    await new Promise((res) => setTimeout(res, 120));
    const out = await drive(acts.defenderScriptResult, {
      actionId: r.result.actionId!,
      machineId: m3,
      status: 'Failed',
    });
    expect(out.result).toEqual({
      script_name: '',
      exit_code: -1,
      outcome: '',
      detail: {},
      output: '',
      errors: 'Script nightshift-delete-file.ps1 was not found in the library',
    });
  });

  it('refuses bad parameters before any call', async () => {
    const calls = fake.apiCalls().length;
    const e = await failure(
      drive(acts.defenderRunScript, {
        key: 'k4',
        run: RUN,
        action: 'kill_process',
        platform: 'windows',
        machineId: machine,
        params: { process_id: '4' },
      }),
    );
    expect([e.type, e.message]).toEqual([
      'DefenderInvalidRequest',
      'Defender: kill_process refuses process id 4 (a system process)',
    ]);
    expect(fake.apiCalls().length).toBe(calls);
  });
});

describe('incidents', () => {
  let a: string;
  let b: string;
  beforeAll(() => {
    a = String(fake.addAlert({ machineId: H('1') }).incidentId);
    b = String(fake.addAlert({ machineId: H('1') }).incidentId);
    fake.incidents.ensure(Number(a), { tags: ['portal-tag'] });
  });

  it('reads the incident; a missing one is reported, not thrown', async () => {
    const r = await drive(acts.defenderReadIncident, { key: 'k', run: RUN, incidentId: a });
    expect(r.result.incident).toMatchObject({
      id: a,
      tags: ['portal-tag'],
      entities: { devices: [{ id: H('1') }] },
    });
    const missing = await drive(acts.defenderReadIncident, { key: 'k', run: RUN, incidentId: '424242' });
    expect(missing.result).toEqual({
      error: 'incident 424242: 404 NotFound: Incident 424242 was not found',
      dryRun: false,
    });
  });

  it('updates each incident: read, then patch — tags merged, the comment once even after a lost answer', async () => {
    const req = {
      key: 'wf-1/close',
      run: RUN,
      incidentIds: [a, b],
      update: {
        status: 'resolved',
        classification: 'true_positive',
        determination: 'malware',
        tags: ['nightshift'],
        comment: 'contained by nightshift',
      },
    };
    fake.loseNextResponse((m, p) => m === 'PATCH' && p === `/api/incidents/${a}`);
    const r = await drive(acts.defenderUpdateIncident, req, { maxAttempts: 12 });
    expect(r.result.updated).toEqual([a, b]);
    expect(Math.max(...r.callsPerTask)).toBe(1);
    const ia = fake.incidents.byId.get(Number(a))!;
    expect(ia).toMatchObject({
      status: 'Resolved',
      classification: 'TruePositive',
      determination: 'Malware',
      tags: ['portal-tag', 'nightshift'],
    });
    expect(ia.comments.filter((c) => c.comment.startsWith('contained by nightshift [ns-'))).toHaveLength(1);
    expect(fake.incidents.byId.get(Number(b))).toMatchObject({ status: 'Resolved', tags: ['nightshift'] });
  });

  it('names a bad value before any call', async () => {
    const e = await failure(
      drive(acts.defenderUpdateIncident, {
        key: 'k',
        run: RUN,
        incidentIds: [a],
        update: { classification: 'false_positive', determination: 'malware' },
      }),
    );
    expect(e.message).toBe(
      'Defender: update_incident: determination for FalsePositive must be one of not_malicious, not_enough_data_to_validate, other (got "malware")',
    );
  });
});
