// A run's story from its recorded history: who decided where and when, the devices, the Defender
// action and its state, in time order.
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { OrgIR } from '../../../core/ir';
import { digestHistory } from '../../../server/console/history';
import { buildStory, type RunView } from '../../../server/console/story';

function run(name: string): RunView {
  const { workflowId, history } = JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', '..', 'replay', `${name}.json`), 'utf8'),
  );
  const digest = digestHistory(historyFromJSON(history));
  return { workflowId, digest, state: null, temporalStatus: 'completed', closedAt: digest.closedAt ?? null };
}

const org = (names: Record<string, string>): OrgIR =>
  ({
    people: Object.fromEntries(Object.entries(names).map(([id, name]) => [id, { id, name }])),
  }) as unknown as OrgIR;

describe('buildStory', () => {
  it('tells an approved run: the decision with who and where, the isolation, in order', () => {
    const r = run('day-approved');
    const s = buildStory(r, {
      org: org({ ben: 'Ben Today' }),
      viewerPersonId: 'ben',
      isProtected: () => false,
    });
    expect(s.playbook).toBe('day-night');
    expect(s.outcome).toBe('completed');
    expect(s.answered).toEqual([
      expect.objectContaining({ outcome: 'approved', by: 'Ben Today', channel: 'slack' }),
    ]);
    const texts = s.timeline.map((e) => e.text);
    const decided = texts.findIndex((t) => t.startsWith('Approved'));
    const isolated = texts.findIndex((t) => /^Defender isolate on .*: Succeeded$/.test(t));
    expect(decided).toBeGreaterThan(0);
    expect(isolated).toBeGreaterThan(decided);
    expect(s.timeline[decided].who).toBe('Ben Today');
    expect(s.defender).toEqual([expect.objectContaining({ action: 'isolate', status: 'Succeeded' })]);
    expect(s.devices.length).toBeGreaterThan(0);
    expect(s.steps.map((x) => x.status)).not.toContain('pending');
    expect([...s.timeline].sort((a, b) => a.at.localeCompare(b.at))).toEqual(s.timeline);
    expect(s.waiting).toEqual([]); // a closed run waits for nothing
  });

  it('says a timeout decided when nobody answered', () => {
    const s = buildStory(run('approval-timeout'), {
      org: org({}),
      viewerPersonId: 'x',
      isProtected: () => false,
    });
    expect(s.answered[0]).toMatchObject({ by: null, channel: 'timeout' });
    expect(s.timeline.some((e) => /automatically \(nobody answered in time\)/.test(e.text))).toBe(true);
  });

  it('marks protected devices with the run org policy', () => {
    const s = buildStory(run('day-approved'), { org: org({}), viewerPersonId: 'x', isProtected: () => true });
    expect(s.devices.every((d) => d.protected)).toBe(true);
  });
});
