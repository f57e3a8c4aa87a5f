// The Defender depth calls (issue 15) through the real client (msal + undici) against the fake over
// HTTPS: machine lookup, Graph hunting, the live response library, RunScript and its result, XDR
// incidents — each resource with its own token, permission errors as Defender words them.
import { DefenderClient, type MachineAction } from '../../../integrations/defender/client';
import { DefenderApiError } from '../../../integrations/defender/errors';
import { readHuntResult, runHuntingQuery } from '../../../integrations/defender/hunting';
import {
  getIncident,
  incidentSummary,
  incidentUpdateBody,
  patchIncident,
} from '../../../integrations/defender/incidents';
import { kqlQuery, withRowLimit } from '../../../integrations/defender/kql';
import {
  isInstalled,
  libraryScript,
  listLibrary,
  parseScriptResult,
  resultLink,
  runLiveResponse,
  runScriptBody,
  scriptArgs,
  uploadScript,
} from '../../../integrations/defender/live-response';
import {
  findMachinesByIp,
  getMachine,
  listMachines,
  lookupPlan,
  pickMachine,
} from '../../../integrations/defender/machines';
import type { FakeDefender } from '../../fakes/defender/fake-defender';
import { liveConfig, startFake } from '../../fakes/defender/harness';

const H = (c: string) => c.repeat(40);
let fake: FakeDefender;
let client: DefenderClient;
beforeAll(async () => {
  fake = await startFake({ lifecycle: { pendingMs: 50, inProgressMs: 50, final: 'Succeeded' } });
  client = new DefenderClient(liveConfig(fake));
});
afterAll(async () => {
  await client.close();
  await fake.stop();
});

async function rejection(p: Promise<unknown>): Promise<DefenderApiError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(DefenderApiError);
  return e as DefenderApiError;
}

describe('machine lookup', () => {
  beforeAll(() => {
    fake.addMachine(H('a'), 'wks-042', 'Windows11', { machineTags: ['finance'], lastIpAddress: '10.1.4.22' });
    fake.addMachine(H('b'), 'wks-042.corp.example', 'Windows11', { healthStatus: 'Inactive' });
    fake.addMachine(H('c'), 'wks-042.corp.example', 'Windows11', { mergedIntoMachineId: H('a') });
    fake.addMachine(H('d'), 'dup-7.corp.example', 'Windows11');
    fake.addMachine(H('e'), 'dup-7', 'Windows11');
    fake.addMachine(H('f'), 'wks-0420.corp.example', 'Windows11');
  });

  it('finds the one live record of a name among short, FQDN, inactive and merged ones', async () => {
    const [step] = lookupPlan({ id: 'wks-042.corp.example' }, new Date().toISOString(), Date.now());
    if (step.by !== 'name') throw new Error('expected a name lookup');
    const records = await listMachines(client, step.filter);
    expect(records.map((r) => r.id).sort()).toEqual([H('a'), H('b'), H('c')]);
    expect(pickMachine(records, step.name)).toMatchObject({
      outcome: 'found',
      machine: { id: H('a'), machineTags: ['finance'] },
    });
    const call = fake.calls.at(-1)!;
    expect(call.query).toEqual({ $filter: step.filter, $top: '50' });
  });

  it('names both candidates of a duplicated name instead of taking one', async () => {
    const [step] = lookupPlan({ id: 'dup-7' }, new Date().toISOString(), Date.now());
    if (step.by !== 'name') throw new Error('expected a name lookup');
    const r = pickMachine(await listMachines(client, step.filter), step.name);
    expect(r.outcome).toBe('ambiguous');
  });

  it('GETs a machine by id; an unknown id is 404 ResourceNotFound', async () => {
    expect(await getMachine(client, H('a'))).toMatchObject({
      id: H('a'),
      computerDnsName: 'wks-042',
      onboardingStatus: 'Onboarded',
    });
    const e = await rejection(getMachine(client, H('9')));
    expect([e.status, e.code, e.apiMessage]).toEqual([
      404,
      'ResourceNotFound',
      `Machine ${H('9')} was not found`,
    ]);
  });

  it('finds machines by IP within 15 minutes of the detection; 400 beyond 30 days', async () => {
    const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    expect((await findMachinesByIp(client, '10.1.4.22', at)).map((m) => m.id)).toEqual([H('a')]);
    const old = new Date(Date.now() - 31 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    expect((await rejection(findMachinesByIp(client, '10.1.4.22', old))).status).toBe(400);
  });

  it('a token without Machine.Read.All gets 403 naming the roles', async () => {
    const f = await startFake({ roles: { mde: ['Machine.Isolate'] } });
    const c = new DefenderClient(liveConfig(f));
    try {
      const e = await rejection(listMachines(c, "computerDnsName eq 'x'"));
      expect([e.status, e.code]).toEqual([403, 'Forbidden']);
      expect(e.apiMessage).toBe(
        'Missing application roles. API required roles: Machine.Read.All,Machine.ReadWrite.All, application roles: Machine.Isolate.',
      );
    } finally {
      await c.close();
      await f.stop();
    }
  });
});

describe('advanced hunting through Microsoft Graph', () => {
  beforeAll(() => {
    fake.hunting.tables.DeviceProcessEvents = [
      { DeviceId: H('a'), DeviceName: 'wks-042', SHA1: 'x"; drop', FileName: 'x.exe' },
      { DeviceId: H('d'), DeviceName: 'dup-7', SHA1: 'x"; drop', FileName: 'x.exe' },
      { DeviceId: H('e'), DeviceName: 'dup-7', SHA1: 'other', FileName: 'y.exe' },
    ];
  });

  it('runs the query with a Graph token and reads the rows', async () => {
    const q = withRowLimit(
      kqlQuery({
        text: ['DeviceProcessEvents | where SHA1 == ', ' | distinct DeviceId, DeviceName'],
        values: ['x"; drop'],
      }),
      100,
    );
    const r = readHuntResult(await runHuntingQuery(client, q, 'P7D'), 100, {
      DeviceId: 'string',
      DeviceName: 'string',
    });
    expect(r.rows).toEqual([
      { DeviceId: H('a'), DeviceName: 'wks-042' },
      { DeviceId: H('d'), DeviceName: 'dup-7' },
    ]);
    expect(fake.tokenRequests.at(-1)!.scope).toBe('https://graph.microsoft.com/.default');
    expect(fake.calls.at(-1)).toMatchObject({
      method: 'POST',
      path: '/v1.0/security/runHuntingQuery',
      body: { Query: q, Timespan: 'P7D' },
    });
  });

  it('a query that does not parse is 400; a CPU quota 429 carries Retry-After', async () => {
    expect((await rejection(runHuntingQuery(client, 'DeviceProcessEvents | where x == "open'))).status).toBe(
      400,
    );
    fake.hunting.throttleNext = 1;
    const e = await rejection(runHuntingQuery(client, 'DeviceProcessEvents'));
    expect([e.status, e.code, e.retryAfterMs]).toEqual([429, 'TooManyRequests', 2000]);
  });

  it('without ThreatHunting.Read.All: 403 in Graph’s error shape', async () => {
    const f = await startFake({ roles: { graph: [] } });
    const c = new DefenderClient(liveConfig(f));
    try {
      const e = await rejection(runHuntingQuery(c, 'DeviceProcessEvents'));
      expect([e.status, e.code]).toEqual([403, 'Forbidden']);
      expect(e.apiMessage).toContain('ThreatHunting.Read.All');
    } finally {
      await c.close();
      await f.stop();
    }
  });
});

describe('live response: the library, RunScript and its result', () => {
  const machine = H('7');
  beforeAll(() => {
    fake.addMachine(machine, 'srv-7.corp.example', 'WindowsServer2022', {
      processes: new Map([[4242, 'evil.exe']]),
    });
  });

  it('installs the shipped script once (by SHA-256) and replaces a changed one', async () => {
    const s = libraryScript('kill_process', 'windows');
    expect(isInstalled(await listLibrary(client), s)).toBe(false);
    fake.liveResponse.putLibraryFile(s.fileName, 'an older version');
    expect(isInstalled(await listLibrary(client), s)).toBe(false);
    const e = await uploadScript(client, s);
    expect(e).toMatchObject({ fileName: s.fileName, sha256: s.sha256, hasParameters: true });
    expect(isInstalled(await listLibrary(client), s)).toBe(true);
    expect(fake.liveResponse.library.get(s.fileName)!.content.equals(s.content)).toBe(true);
  });

  it('runs the script, one session per machine, and reads its exit code and result line', async () => {
    const s = libraryScript('kill_process', 'windows');
    const body = runScriptBody(
      s.fileName,
      scriptArgs('kill_process', { process_id: '4242', process_name: 'evil.exe' }, 'windows'),
      'nightshift test [ns-1]',
    );
    const a = await runLiveResponse<MachineAction & { commands: unknown[] }>(client, machine, body);
    expect(a).toMatchObject({
      type: 'LiveResponse',
      status: 'Pending',
      machineId: machine,
      requestorComment: 'nightshift test [ns-1]',
    });
    expect(a.commands).toEqual([
      expect.objectContaining({ index: 0, commandStatus: 'Created', startTime: null }),
    ]);
    const busy = await rejection(runLiveResponse(client, machine, body));
    expect([busy.status, busy.code, busy.isDuplicateAction]).toEqual([
      400,
      'ActiveRequestAlreadyExists',
      true,
    ]);
    // Not yet done: no result.
    expect((await rejection(resultLink(client, a.id, 0))).status).toBe(400);
    await new Promise((r) => setTimeout(r, 150));
    expect(await client.getMachineAction(a.id)).toMatchObject({ status: 'Succeeded' });
    const link = await resultLink(client, a.id, 0);
    const r = parseScriptResult(await client.download(link));
    expect(r).toMatchObject({
      script_name: s.fileName,
      exit_code: 0,
      outcome: 'killed',
      detail: { process_id: 4242, name: 'evil' },
    });
    expect(fake.machines.get(machine)!.processes!.has(4242)).toBe(false);
    // The SAS link never carried our bearer token.
    expect(fake.liveResponse.blobRequests.at(-1)).toEqual({
      path: expect.stringContaining(a.id),
      authorization: false,
      status: 200,
    });
  });

  it('an expired link is 403; a link off Azure storage or the API host is not followed', async () => {
    fake.liveResponse.linkTtlMs = -1000;
    const a = fake.actions.find((x) => x.type === 'LiveResponse')!;
    const link = await resultLink(client, a.id, 0);
    expect((await rejection(client.download(link))).status).toBe(403);
    fake.liveResponse.linkTtlMs = 30 * 60_000;
    expect((await rejection(client.download('https://attacker.example/x'))).code).toBe('BadLink');
    expect((await rejection(client.download(link.replace('https:', 'http:')))).code).toBe('BadLink');
  });

  it('a script missing from the library fails its command; later commands are not run', async () => {
    const m2 = H('8');
    fake.addMachine(m2, 'srv-8', 'WindowsServer2022');
    const a = await runLiveResponse<MachineAction>(client, m2, runScriptBody('absent.ps1', '-X 1', 'c'));
    await new Promise((r) => setTimeout(r, 150));
    const done = (await client.getMachineAction(a.id)) as MachineAction & {
      commands: Array<{ commandStatus: string; errors: string[] }>;
    };
    expect(done.status).toBe('Failed');
    expect(done.commands[0]).toMatchObject({
      commandStatus: 'Failed',
      errors: ['Script absent.ps1 was not found in the library'],
    });
  });
});

describe('XDR incidents', () => {
  let incidentId: string;
  beforeAll(() => {
    const a = fake.addAlert({
      machineId: H('a'),
      evidence: [{ entityType: 'File', sha1: '5de839186691aa96ee2ca6d74f0a38fb8d1bd6dd', fileName: 'x.exe' }],
    });
    incidentId = String(a.incidentId);
  });

  it('reads the incident with its alerts, devices and entities, with an XDR token', async () => {
    const inc = await getIncident(client, incidentId);
    expect(fake.tokenRequests.at(-1)!.scope).toBe('https://api.security.microsoft.com/.default');
    const s = incidentSummary(inc, 'https://security.microsoft.com');
    expect(s).toMatchObject({
      id: incidentId,
      status: 'Active',
      entities: { devices: [{ id: H('a'), name: 'wks-042', tags: ['finance'] }], files: [{ name: 'x.exe' }] },
    });
  });

  it('patches it: tags merged with the portal’s, a comment appended; a bad determination is 400', async () => {
    fake.incidents.ensure(Number(incidentId), { tags: ['from-portal'] });
    const current = await getIncident(client, incidentId);
    const body = incidentUpdateBody(
      {
        status: 'resolved',
        classification: 'true_positive',
        determination: 'malware',
        tags: ['nightshift'],
        comment: 'contained',
      },
      current.tags ?? [],
    );
    const after = await patchIncident(client, incidentId, body);
    expect(after).toMatchObject({
      status: 'Resolved',
      classification: 'TruePositive',
      determination: 'Malware',
      tags: ['from-portal', 'nightshift'],
    });
    expect(after.comments?.at(-1)).toMatchObject({ comment: 'contained' });
    const e = await rejection(
      patchIncident(client, incidentId, { classification: 'FalsePositive', determination: 'Malware' }),
    );
    expect([e.status, e.code]).toEqual([400, 'InvalidRequestBody']);
    expect((await rejection(getIncident(client, '999999999'))).status).toBe(404);
  });

  it('an MDE-only app (no Incident.Read.All) gets 403', async () => {
    const f = await startFake({ roles: { xdr: [] } });
    f.addAlert({});
    const c = new DefenderClient(liveConfig(f));
    try {
      const e = await rejection(getIncident(c, String(f.alerts[0].incidentId)));
      expect(e.status).toBe(403);
      expect(e.apiMessage).toContain('Incident.Read.All');
    } finally {
      await c.close();
      await f.stop();
    }
  });
});
