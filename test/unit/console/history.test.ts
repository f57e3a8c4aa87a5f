// The console reads what a run did from its Temporal history. Recorded histories of real runs
// (test/replay/) are the input: the same bytes Temporal serves.
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { digestHistory } from '../../../server/console/history';

function load(name: string) {
  const { workflowId, history } = JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', '..', 'replay', `${name}.json`), 'utf8'),
  );
  return { workflowId: workflowId as string, digest: digestHistory(historyFromJSON(history)) };
}

describe('digestHistory', () => {
  it('reads an approved run: who decided, on which channel, who was asked, and the isolation', () => {
    const { workflowId, digest } = load('day-approved');
    expect(digest.workflowType).toBe('playbookRun');
    expect(digest.status).toBe('completed');
    expect(digest.detections.map((d) => d.detection.id)).toHaveLength(1);
    expect(digest.decisions).toEqual([
      expect.objectContaining({
        approvalId: `${workflowId}|approval|0`,
        personId: 'ben',
        outcome: 'approved',
        channel: 'slack',
        timedOut: false,
      }),
    ]);
    expect(digest.decisions[0].question).toMatch(/\S/);
    expect(digest.asks).toHaveLength(2);
    expect(digest.asks.every((a) => a.ok === true)).toBe(true);
    expect(digest.defender).toEqual([
      expect.objectContaining({ action: 'isolate', status: 'Succeeded', stepId: expect.any(String) }),
    ]);
    expect(digest.defender[0].actionId).toMatch(/\S/);
    expect(digest.defender[0].finalAt).toBeDefined();
  });

  it('reads a denial by email and no Defender action', () => {
    const { digest } = load('deny');
    expect(digest.decisions).toEqual([
      expect.objectContaining({ personId: 'ana', outcome: 'denied', channel: 'email' }),
    ]);
    expect(digest.defender).toEqual([]);
  });

  it('reads a timeout decision as decided by nobody', () => {
    const { digest } = load('approval-timeout');
    expect(digest.decisions).toHaveLength(1);
    expect(digest.decisions[0]).toMatchObject({ personId: null, timedOut: true, channel: 'timeout' });
  });

  it('reads an acknowledgement by SMS and the pages sent', () => {
    const { digest } = load('night-ack');
    expect(digest.acks).toEqual([expect.objectContaining({ personId: 'cho', channel: 'sms' })]);
    expect(digest.pages.length).toBeGreaterThanOrEqual(2);
    expect(digest.pages[0].request.person.id).toMatch(/\S/);
  });

  it('reads detections that joined by Update, and each device isolated', () => {
    const { digest } = load('attach-update');
    expect(digest.detections.map((d) => d.detection.id)).toHaveLength(2);
    const isolated = digest.defender.filter((a) => a.action === 'isolate').map((a) => a.machineId);
    expect(new Set(isolated).size).toBe(2);
  });
});
