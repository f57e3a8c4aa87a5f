// The step kinds of issue 15 in the engine: machine resolution before per-device actions (found,
// ambiguous, failed → fail closed), device.mde in expressions and the protected-device policy, hunting
// with values kept apart from the query text, live response and update_incident, on the fake runtime.
import { emptyEnrichment, type DeviceEnrichment, type HuntRequest } from '../../../core/defender-effects';
import type { DefenderSubmitRequest } from '../../../core/effects';
import { ApplicationFailure } from '@temporalio/common';
import { kqlQuery } from '../../../integrations/defender/kql';
import { DETECTION, ORG, fakeRuntime, requests, step, tpl } from './fake-runtime';

const MACHINE = 'a'.repeat(40);
const found = (over: Partial<DeviceEnrichment> = {}): DeviceEnrichment => ({
  ...emptyEnrichment('found'),
  id: MACHINE,
  name: 'laptop-1.corp.example.com',
  found_by: 'name',
  ...over,
});
const laptop = DETECTION.devices[0];
const isolate = step('isolate', { kind: 'defender', action: 'isolate', params: { type: tpl('full') } });

describe('machine resolution before a per-device Defender action', () => {
  it('acts on the machine the lookup found, not on the host name the detection gave', async () => {
    const f = fakeRuntime({
      answers: { defenderLookupMachine: async () => ({ mde: found(), dryRun: false }) },
    });
    const r = await f.run(isolate, { device: laptop });
    expect(r.status).toBe('succeeded');
    expect(requests<DefenderSubmitRequest>(f, 'defenderSubmit')[0].machineId).toBe(MACHINE);
  });

  it('looks a device up once per run, however many steps act on it', async () => {
    const f = fakeRuntime({
      answers: { defenderLookupMachine: async () => ({ mde: found(), dryRun: false }) },
    });
    await f.run(isolate, { device: laptop });
    await f.run(step('scan', { kind: 'defender', action: 'scan', params: {} }), { device: laptop });
    await f.run(step('resolve', { kind: 'defender_lookup' }), { device: laptop });
    expect(requests(f, 'defenderLookupMachine')).toHaveLength(1);
  });

  it('fails the step naming the candidates when several machines match, and acts on none', async () => {
    const mde = {
      ...emptyEnrichment('ambiguous'),
      error: 'laptop-1 matches 2 live Defender machines (by name): aaaa… laptop-1, bbbb… laptop-1.corp',
    };
    const f = fakeRuntime({ answers: { defenderLookupMachine: async () => ({ mde, dryRun: false }) } });
    const r = await f.run(isolate, { device: laptop });
    expect(r.status).toBe('failed');
    expect(r.reason).toContain('matches 2 live Defender machines');
    expect(requests(f, 'defenderSubmit')).toHaveLength(0);
  });

  it('fails closed when the lookup failed: containment is refused as protected, with the reason', async () => {
    const f = fakeRuntime({
      answers: {
        defenderLookupMachine: async () => {
          throw ApplicationFailure.nonRetryable(
            'Defender: 403 Forbidden (Machine.Read.All)',
            'DefenderForbidden',
          );
        },
      },
    });
    const r = await f.run(isolate, { device: laptop });
    expect(r.status).toBe('failed');
    expect(r.reason).toMatch(/^protected: machine lookup failed: .*403 Forbidden/);
    expect(requests(f, 'defenderSubmit')).toHaveLength(0);
    expect(requests(f, 'reserveIsolation')).toHaveLength(0);
  });

  it("lets the protected-device policy read Defender's own tags (device.mde.tags)", async () => {
    const org = {
      ...ORG,
      policy: { protectedDevices: { src: "'tier0' in device.mde.tags", at: 'nightshift.yaml:1:1' } },
    };
    const f = fakeRuntime({
      org,
      answers: { defenderLookupMachine: async () => ({ mde: found({ tags: ['tier0'] }), dryRun: false }) },
    });
    const r = await f.run(isolate, { device: laptop });
    expect(r).toMatchObject({ status: 'failed', reason: 'protected' });
    expect(requests(f, 'defenderSubmit')).toHaveLength(0);
  });

  it('without a tenant (dry run) acts on the id as given', async () => {
    const f = fakeRuntime();
    await f.run(isolate, { device: laptop });
    expect(requests<DefenderSubmitRequest>(f, 'defenderSubmit')[0].machineId).toBe('m-1');
  });

  it('runs recorded before the patch neither look up nor change the machine id', async () => {
    const f = fakeRuntime({
      answers: { defenderLookupMachine: async () => ({ mde: found(), dryRun: false }) },
    });
    f.rt.patched = () => false;
    await f.run(isolate, { device: laptop });
    expect(requests(f, 'defenderLookupMachine')).toHaveLength(0);
    expect(requests<DefenderSubmitRequest>(f, 'defenderSubmit')[0].machineId).toBe('m-1');
  });
});

describe('defender.lookup', () => {
  it('puts what Defender knows into device.mde for later expressions', async () => {
    const f = fakeRuntime({
      answers: {
        defenderLookupMachine: async () => ({
          mde: found({ group: 'Servers', risk: 'High' }),
          dryRun: false,
        }),
      },
    });
    const r = await f.run(step('resolve', { kind: 'defender_lookup' }), { device: laptop });
    expect(r.status).toBe('succeeded');
    const scope = f.ctx.scope({ device: laptop });
    expect(
      f.ctx.ev.bool({ src: "device.mde.group == 'Servers' && device.mde.risk == 'High'", at: 't' }, scope),
    ).toBe(true);
  });

  it('fails an element whose machine was not found, with the lookup reason', async () => {
    const mde = {
      ...emptyEnrichment('not_found'),
      error: 'no live, onboarded Defender machine matches laptop-1',
    };
    const f = fakeRuntime({ answers: { defenderLookupMachine: async () => ({ mde, dryRun: false }) } });
    const r = await f.run(step('resolve', { kind: 'defender_lookup' }), { device: laptop });
    expect(r).toMatchObject({ status: 'failed', reason: mde.error });
  });
});

describe('defender.hunt', () => {
  it('sends the values of ${{ }} apart from the query text, so hostile text becomes a KQL literal', async () => {
    const hostile = 'x") | union (DeviceInfo | project secret=1) //';
    const f = fakeRuntime({
      answers: {
        defenderHunt: async () => ({
          columns: [{ name: 'DeviceId', type: 'string' }],
          rows: [{ DeviceId: MACHINE }],
          row_count: 1,
          truncated: false,
          dryRun: false,
        }),
      },
    });
    const s = step('hunt', {
      kind: 'defender_hunt',
      query: tpl('DeviceProcessEvents | where FileName == ', { expr: 'item' }, ' | take 5'),
      limit: 10,
    });
    const r = await f.run(s, { item: hostile });
    expect(r).toMatchObject({ status: 'succeeded', row_count: 1, rows: [{ DeviceId: MACHINE }] });
    const req = requests<HuntRequest>(f, 'defenderHunt')[0];
    expect(req.query.text).toEqual(['DeviceProcessEvents | where FileName == ', ' | take 5']);
    expect(req.limit).toBe(10);
    // What the activity sends: the hostile value is one string literal, the query's shape unchanged.
    expect(kqlQuery(req.query)).toBe(
      'DeviceProcessEvents | where FileName == "x\\") | union (DeviceInfo | project secret=1) //" | take 5',
    );
  });

  it('keeps a list as a list of literals (for `in (…)`)', async () => {
    const f = fakeRuntime();
    const s = step('hunt', {
      kind: 'defender_hunt',
      query: tpl('T | where SHA1 in (', { expr: "['a', 'b\"c']" }, ')'),
      limit: 10,
    });
    await f.run(s);
    expect(kqlQuery(requests<HuntRequest>(f, 'defenderHunt')[0].query)).toBe(
      'T | where SHA1 in ("a", "b\\"c")',
    );
  });
});

describe('defender.kill_process', () => {
  const kill = step('kill', {
    kind: 'defender_live_response',
    action: 'kill_process',
    params: { process_id: tpl('4242'), comment: tpl('c') },
  });

  it('installs the script, runs it on the found machine, waits, and reports exit code and outcome', async () => {
    const f = fakeRuntime({
      answers: { defenderLookupMachine: async () => ({ mde: found(), dryRun: false }) },
    });
    const r = await f.run(kill, { device: laptop });
    expect(r.status).toBe('succeeded');
    expect(r.scripts).toEqual([
      expect.objectContaining({
        device: 'm-1',
        machine_id: MACHINE,
        exit_code: 0,
        outcome: 'killed',
        status: 'Succeeded',
      }),
    ]);
    expect(f.calls.map((c) => c.effect)).toEqual([
      'defenderLookupMachine',
      'defenderEnsureScript',
      'defenderRunScript',
      'defenderAwait',
      'defenderScriptResult',
    ]);
  });

  it('fails the step when the script exits non-zero, saying what it reported', async () => {
    const f = fakeRuntime({
      answers: {
        defenderScriptResult: async () => ({
          script_name: 's',
          exit_code: 3,
          outcome: 'refused',
          detail: {},
          output: '',
          errors: '',
        }),
      },
    });
    const r = await f.run(kill, { device: laptop });
    expect(r).toMatchObject({ status: 'failed', reason: 'script exited 3 (refused)' });
  });
});

describe('defender.update_incident', () => {
  it("updates the run's incidents with the rendered values and tags", async () => {
    const f = fakeRuntime();
    f.ctx.detections[0] = { ...DETECTION, incident_id: '1042' };
    const s = step('inc', {
      kind: 'defender_update_incident',
      params: { status: tpl('resolved'), comment: tpl('by ', { expr: 'playbook.name' }) },
      tags: [tpl('nightshift'), tpl('sev-', { expr: 'detection.severity' })],
    });
    const r = await f.run(s);
    expect(r).toMatchObject({ status: 'succeeded', incidents: ['1042'] });
    expect(requests(f, 'defenderUpdateIncident')[0]).toMatchObject({
      incidentIds: ['1042'],
      update: { status: 'resolved', comment: 'by test-playbook', tags: ['nightshift', 'sev-high'] },
    });
  });

  it('is skipped, saying why, when the run has no incident', async () => {
    const f = fakeRuntime();
    const r = await f.run(
      step('inc', { kind: 'defender_update_incident', params: { status: tpl('resolved') } }),
    );
    expect(r).toMatchObject({ status: 'skipped', reason: 'the run has no Defender incident' });
    expect(requests(f, 'defenderUpdateIncident')).toHaveLength(0);
  });
});
