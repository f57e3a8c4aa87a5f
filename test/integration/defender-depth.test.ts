// Issue 15's example on the real Temporal server, the real activities and client, and the fake Defender:
// a Red Canary detection names a host and a hash → the host's machine is looked up by name → the hash is
// hunted (Microsoft Graph) → every machine that ran it is isolated, except one Defender tags as a domain
// controller (protected by MDE's own tag) → the hash is blocked → the run's alerts are resolved with its
// outcome. The run's history is kept for the replay test (NIGHTSHIFT_RECORD_REPLAY=1).
import fs from 'node:fs';
import path from 'node:path';
import type { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Worker } from '@temporalio/worker';
import { createBlastRadiusActivities } from '../../activities/blast-radius';
import { createDefenderActivities } from '../../activities/defender';
import { compilePlaybook, loadProject } from '../../compiler';
import type { OrgIR, PlaybookIR } from '../../core/ir';
import type { RunState } from '../../core/messages';
import { defenderTaskQueue } from '../../core/queues';
import type { RunOutcome } from '../../core/run';
import { parseDetection } from '../../intake/formats/generic';
import { startOrAttach } from '../../intake/start-or-attach';
import { defenderWorkerOptions } from '../../integrations/defender/worker-options';
import { ensureSearchAttributes } from '../../platform/temporal/search-attributes';
import { stateQuery } from '../../workflows/messages';
import { FakeDefender } from '../fakes/defender/fake-defender';
import { liveConfig, startFake } from '../fakes/defender/harness';
import { recordingActivities } from '../support/recording-activities';
import { createTestWorker, testClient, uniqueTaskQueue } from '../support/temporal';

const ROOT = path.join(__dirname, '..', '..');
const HOST = '1e5ac2c1b4a7e1d6f0aa00000000000000000042';
const PEER = '3e5ac2c1b4a7e1d6f0aa00000000000000000007';
const DC = '2e5ac2c1b4a7e1d6f0aa00000000000000000099';
const SHA256 = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';

let client: Client;
let connection: Connection;
let fake: FakeDefender;
let org: OrgIR;
let playbook: PlaybookIR;

beforeAll(async () => {
  ({ client, connection } = await testClient());
  await ensureSearchAttributes(connection, 'default');
  fake = await startFake();
  const loaded = loadProject({
    config: path.join(ROOT, 'nightshift.yaml'),
    paths: [path.join(ROOT, 'playbooks', 'hash-sweep.yaml')],
  });
  if (!loaded.org || loaded.playbooks.length !== 1) throw new Error('the example playbook does not load');
  org = loaded.org;
  playbook = loaded.playbooks[0];
}, 30_000);

afterAll(async () => {
  await connection?.close();
  await fake?.stop();
});

async function keepHistory(name: string, handle: WorkflowHandle): Promise<void> {
  if (process.env.NIGHTSHIFT_RECORD_REPLAY !== '1') return;
  const history = await handle.fetchHistory();
  const doc = `{"workflowId":${JSON.stringify(handle.workflowId)},"history":${historyToJSON(history)}}\n`;
  fs.writeFileSync(path.join(ROOT, 'test', 'replay', `${name}.json`), doc);
}

describe('hash sweep: a Red Canary detection through lookup, hunt, isolation, block and alert sync', () => {
  jest.setTimeout(90_000);

  it('isolates every machine that ran the hash but the MDE-tagged domain controller, and resolves the alerts', async () => {
    // The tenant: the host under its FQDN, a peer that ran the hash too, and a domain controller
    // tagged in Defender (not in the detection) that ran it as well.
    fake.addMachine(HOST, 'ws-0042.corp.example.com');
    fake.addMachine(PEER, 'ws-0007.corp.example.com');
    fake.addMachine(DC, 'dc-01.corp.example.com', 'WindowsServer2022', {
      machineTags: ['domain-controller'],
    });
    fake.hunting.tables.DeviceProcessEvents = [
      { DeviceId: HOST, DeviceName: 'ws-0042.corp.example.com', SHA256, FileName: 'invoice.exe' },
      { DeviceId: PEER, DeviceName: 'ws-0007.corp.example.com', SHA256, FileName: 'invoice.exe' },
      { DeviceId: DC, DeviceName: 'dc-01.corp.example.com', SHA256, FileName: 'invoice.exe' },
      { DeviceId: 'f'.repeat(40), DeviceName: 'clean', SHA256: '0'.repeat(64), FileName: 'x.exe' },
    ];
    const alert = fake.addAlert({ machineId: HOST });
    const raw = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'redcanary-hash.json'), 'utf8'));
    raw.id = `redcanary-${Date.now()}`;
    raw.incident_id = String(alert.incidentId);
    raw.alert_ids = [alert.id];
    // The detection names the host, short: the lookup must find its FQDN record.
    raw.devices = [{ id: 'ws-0042', name: 'ws-0042' }];
    const parsed = parseDetection(raw);
    if (!parsed.detection) throw new Error(JSON.stringify(parsed.errors));

    const w = await startWorkers();
    try {
      const res = await startOrAttach(client, { org, playbooks: [playbook] }, parsed.detection, {
        taskQueue: w.taskQueue,
      });
      expect(res.runs).toHaveLength(1);
      const handle = client.workflow.getHandle(res.runs[0].workflowId);
      const outcome = (await handle.result()) as RunOutcome;
      const step = (id: string) => outcome.steps.find((s) => s.id === id)!;

      expect(step('resolve')).toMatchObject({ status: 'succeeded' });
      expect(step('hunt')).toMatchObject({ status: 'succeeded', row_count: 3, truncated: false });
      // The detection's hash reached the query as a KQL literal, the window as Graph's Timespan.
      expect(fake.hunting.queries.at(-1)).toMatchObject({ api: 'graph', timespan: 'P7D' });
      expect(fake.hunting.queries.at(-1)?.query).toContain(`SHA256 in ("${SHA256}")`);

      // Isolated: the host (found by its short name) and the peer; the DC is protected by its MDE tag.
      const isolated = fake.actions.filter((a) => a.type === 'Isolate').map((a) => a.machineId);
      expect(isolated.sort()).toEqual([HOST, PEER].sort());
      const iso = step('isolate');
      expect(iso.status).toBe('failed'); // continue_on_error: the sweep went on
      expect(iso.reason).toBe('protected');

      expect(step('block')).toMatchObject({ status: 'succeeded' });
      expect(outcome.outcome).toBe('completed');

      // Alert sync: the alert resolved and classified, the run's outcome in its comment.
      expect(alert).toMatchObject({
        status: 'Resolved',
        classification: 'TruePositive',
        determination: 'Malware',
      });
      expect(JSON.stringify(alert.comments)).toContain('completed');

      // The run state: the host's machine and the incident, in their documented shapes.
      const st: RunState = await handle.query(stateQuery);
      expect(st.machines?.['ws-0042']).toMatchObject({ status: 'found', id: HOST, found_by: 'name' });
      expect(st.incidents?.[0]).toMatchObject({ id: String(alert.incidentId) });
      expect(st.alertSync).toEqual({ status: 'succeeded', alerts: 1 });
      await keepHistory('hash-sweep', handle);
    } finally {
      await w.stop();
    }
  });
});

describe('live response and incidents through Temporal', () => {
  jest.setTimeout(90_000);

  it('kills a process and deletes a file with the shipped scripts, then updates the incident', async () => {
    const m = '4e5ac2c1b4a7e1d6f0aa00000000000000000013';
    const file = 'C:\\Users\\ana\\AppData\\Local\\Temp\\invoice.exe';
    fake.addMachine(m, 'ws-0013.corp.example.com', 'Windows11', {
      processes: new Map([[4242, 'invoice.exe']]),
      files: new Map([[file, SHA256]]),
    });
    const alert = fake.addAlert({ machineId: m });
    const { playbook: pb, diagnostics } = compilePlaybook(
      'remediate.yaml',
      [
        'playbook: remediate',
        'version: 1',
        'on: { detection: { when: "true", group_by: incident } }',
        'steps:',
        '  - id: kill',
        '    defender.kill_process: { process_id: "4242", process_name: invoice.exe }',
        '  - id: delete',
        '    defender.delete_file:',
        "      path: '${{ detection.evidence.files[0].path }}'",
        "      sha256: '${{ detection.evidence.files[0].sha256 }}'",
        '  - id: incident',
        '    defender.update_incident:',
        '      status: resolved',
        '      classification: true_positive',
        '      determination: malware',
        '      tags: [nightshift, "${{ playbook.name }}"]',
        "      comment: 'killed ${{ steps.kill.scripts[0].outcome }}, file ${{ steps.delete.scripts[0].outcome }}'",
      ].join('\n'),
      org,
    );
    if (!pb) throw new Error(JSON.stringify(diagnostics));
    const d = parseDetection({
      id: `lr-${Date.now()}`,
      title: 'Malicious binary',
      severity: 'high',
      status: 'confirmed',
      incident_id: String(alert.incidentId),
      devices: [{ id: 'ws-0013', name: 'ws-0013' }],
      evidence: { files: [{ path: file, sha256: SHA256 }] },
    }).detection!;
    const w = await startWorkers();
    try {
      const res = await startOrAttach(client, { org, playbooks: [pb] }, d, { taskQueue: w.taskQueue });
      const handle = client.workflow.getHandle(res.runs[0].workflowId);
      const outcome = (await handle.result()) as RunOutcome;
      const step = (id: string) => outcome.steps.find((s) => s.id === id)!;
      expect(step('kill')).toMatchObject({
        status: 'succeeded',
        scripts: [{ device: 'ws-0013', machine_id: m, exit_code: 0, outcome: 'killed', status: 'Succeeded' }],
      });
      expect(step('delete')).toMatchObject({
        status: 'succeeded',
        scripts: [{ machine_id: m, exit_code: 0, outcome: 'deleted' }],
      });
      // The device model changed as the scripts said.
      const machine = fake.machinesApi.get(m)!;
      expect(machine.processes?.has(4242)).toBe(false);
      expect(machine.files?.has(file)).toBe(false);
      // The shipped scripts were installed in the tenant's library.
      expect([...fake.liveResponse.library.keys()].sort()).toEqual(
        ['nightshift-delete-file.ps1', 'nightshift-kill-process.ps1'].map((x) => x.toLowerCase()),
      );
      expect(step('incident')).toMatchObject({ status: 'succeeded', incidents: [String(alert.incidentId)] });
      const inc = fake.incidents.byId.get(Number(alert.incidentId))!;
      expect(inc).toMatchObject({
        status: 'Resolved',
        classification: 'TruePositive',
        determination: 'Malware',
      });
      expect(inc.tags).toEqual(expect.arrayContaining(['nightshift', 'remediate']));
      // One comment, tagged for idempotency (a retried update finds it and does not comment twice).
      expect(inc.comments.map((c) => c.comment)).toEqual([
        expect.stringMatching(/^killed killed, file deleted \[ns-[0-9a-f]{16}\]$/),
      ]);
      // The incident was read into the run state when the run started.
      const st: RunState = await handle.query(stateQuery);
      expect(st.incidents?.[0]).toMatchObject({ id: String(alert.incidentId) });
    } finally {
      await w.stop();
    }
  });
});

describe('fail closed on Temporal', () => {
  jest.setTimeout(90_000);

  it('leaves a device alone when its machine cannot be looked up (no Machine.Read.All), saying why', async () => {
    // An app granted isolation but not machine reads: the lookup is refused 403.
    const narrow = await startFake({ roles: { mde: ['Machine.Isolate'] } });
    const m = '5e5ac2c1b4a7e1d6f0aa00000000000000000021';
    narrow.addMachine(m, 'ws-0021.corp.example.com');
    const { playbook: pb, diagnostics } = compilePlaybook(
      'contain.yaml',
      [
        'playbook: contain',
        'version: 1',
        'on: { detection: { when: "true" } }',
        'steps:',
        '  - id: isolate',
        '    defender.isolate: { type: full }',
      ].join('\n'),
      org,
    );
    if (!pb) throw new Error(JSON.stringify(diagnostics));
    const d = parseDetection({
      id: `fc-${Date.now()}`,
      title: 'Malicious binary',
      severity: 'high',
      status: 'confirmed',
      devices: [{ id: 'ws-0021', name: 'ws-0021' }],
    }).detection!;
    const w = await startWorkers(narrow);
    try {
      const res = await startOrAttach(client, { org, playbooks: [pb] }, d, { taskQueue: w.taskQueue });
      const handle = client.workflow.getHandle(res.runs[0].workflowId);
      const outcome = (await handle.result()) as RunOutcome;
      const isolate = outcome.steps.find((s) => s.id === 'isolate')!;
      expect(isolate.status).toBe('failed');
      expect(isolate.reason).toMatch(/^protected: machine lookup failed: .*Missing application roles/);
      expect(narrow.actions.filter((a) => a.type === 'Isolate')).toEqual([]);
      const st: RunState = await handle.query(stateQuery);
      expect(st.machines?.['ws-0021']).toMatchObject({ status: 'failed' });
    } finally {
      await w.stop();
      await narrow.stop();
    }
  });
});

/** A workflow worker (recorded channels) and a Defender worker with the real activities against the fake. */
async function startWorkers(
  tenant: FakeDefender = fake,
): Promise<{ taskQueue: string; stop(): Promise<void> }> {
  const taskQueue = uniqueTaskQueue('depth');
  const acts = recordingActivities();
  const cfg = liveConfig(tenant);
  const main = await createTestWorker({
    taskQueue,
    activities: { ...acts.main, ...createBlastRadiusActivities(client, taskQueue) },
  });
  const def = await createTestWorker({
    ...defenderWorkerOptions({
      taskQueue: defenderTaskQueue(taskQueue),
      activities: createDefenderActivities(cfg, { logger: { info: () => undefined, warn: () => undefined } }),
    }),
  });
  const workers: Array<{ worker: Worker; connection: { close(): Promise<void> } }> = [main, def];
  const running = workers.map((w) => w.worker.run());
  return {
    taskQueue,
    async stop() {
      for (const w of workers) w.worker.shutdown();
      await Promise.all(running);
      for (const w of workers) await w.connection.close();
    },
  };
}
