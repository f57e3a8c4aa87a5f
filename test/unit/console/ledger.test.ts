import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { digestHistory, type RunDigest } from '../../../server/console/history';
import { auditCsv, auditEntries, containedDevices, type DigestedRun } from '../../../server/console/ledger';

function replay(name: string): DigestedRun {
  const { workflowId, history } = JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', '..', 'replay', `${name}.json`), 'utf8'),
  );
  return { workflowId, playbook: 'day-night', digest: digestHistory(historyFromJSON(history)) };
}

function release(deviceId: string, status: string, at: string): DigestedRun {
  const digest: RunDigest = {
    workflowType: 'deviceRelease',
    startedAt: at,
    status: status === 'running' ? 'running' : 'completed',
    input: {
      deviceId,
      action: 'release',
      personId: 'ana',
      personName: 'Ana',
      reason: '=HYPERLINK("x")',
      channel: 'console',
    },
    result: status === 'running' ? undefined : { status, dryRun: true, attached: false },
    detections: [],
    decisions: [],
    acks: [],
    asks: [],
    pages: [],
    notifies: [],
    defender:
      status === 'running'
        ? []
        : [
            {
              at,
              finalAt: at,
              stepId: 'release',
              action: 'release',
              machineId: deviceId,
              key: 'k',
              status,
              dryRun: true,
              attached: false,
            },
          ],
    webhooks: [],
    events: 5,
  };
  return { workflowId: `nightshift-release/release/${deviceId}/x`, digest };
}

const names = (id: string) => ({ ana: 'Ana Ruiz', ben: 'Ben Ode' })[id] ?? id;

describe('containedDevices', () => {
  it('lists a device a run isolated, with the run, until a release succeeds', () => {
    const run = replay('day-approved');
    const device = run.digest.defender[0].machineId as string;
    const info = () => ({ name: 'WS-1', tags: ['finance'] });
    const before = containedDevices([run], info, names);
    expect(before).toEqual([
      expect.objectContaining({ deviceId: device, action: 'isolate', runId: run.workflowId, name: 'WS-1' }),
    ]);
    const later = new Date(Date.parse(run.digest.closedAt as string) + 60_000).toISOString();
    // Asked, not done: still contained, shown as releasing.
    expect(containedDevices([run, release(device, 'running', later)], info, names)[0].releasing).toEqual({
      by: 'Ana Ruiz',
      at: later,
    });
    expect(containedDevices([run, release(device, 'Failed', later)], info, names)).toHaveLength(1);
    expect(containedDevices([run, release(device, 'Succeeded', later)], info, names)).toEqual([]);
  });
});

describe('auditEntries', () => {
  it('records decisions (also by timeout), acks and releases with who, channel and when', () => {
    const runs = [replay('day-approved'), replay('approval-timeout'), replay('night-ack')];
    const later = new Date(Date.now()).toISOString();
    const entries = auditEntries([...runs, release('dev-1', 'Succeeded', later)], names);
    expect(entries.map((e) => e.kind).sort()).toEqual(['ack', 'decision', 'decision', 'release']);
    expect(entries[0]).toMatchObject({
      kind: 'release',
      person: 'Ana Ruiz',
      outcome: 'succeeded (dry run)',
      subject: 'dev-1',
    });
    expect(entries.find((e) => e.kind === 'decision' && e.personId === 'ben')).toMatchObject({
      person: 'Ben Ode',
      outcome: 'approved',
      channel: 'slack',
    });
    expect(entries.find((e) => e.kind === 'decision' && e.personId === '')).toMatchObject({
      channel: 'timeout',
    });
    // Newest first.
    expect([...entries].sort((a, b) => b.at.localeCompare(a.at))).toEqual(entries);
  });

  it('exports CSV a spreadsheet cannot run: formulas are quoted out, quotes and commas escaped', () => {
    const csv = auditCsv(auditEntries([release('dev-1', 'Succeeded', '2026-01-01T00:00:00.000Z')], names));
    const [header, row] = csv.trimEnd().split('\r\n');
    expect(header).toBe('at,kind,personId,person,outcome,channel,runId,subject,detail');
    expect(row.endsWith(`,"'=HYPERLINK(""x"")"`)).toBe(true);
  });
});
