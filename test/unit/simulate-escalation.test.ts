// Escalating approvals in `nightshift simulate`, with the example domain-controllers playbook and
// nightshift.yaml: each stage's effects at their virtual times, answers at each stage, never answered, a
// later-stage person answering early (refused), the rotation handing off between stages, a holiday.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadProject } from '../../compiler';
import type { Detection } from '../../core/detection';
import { runSimulate } from '../../cli/simulate';
import { simulate, type SimulationOptions } from '../../simulator/simulate';

const ROOT = path.join(__dirname, '..', '..');
const PLAYBOOK = path.join(ROOT, 'playbooks', 'domain-controllers.yaml');
const loaded = loadProject({ config: path.join(ROOT, 'nightshift.yaml'), paths: [PLAYBOOK] });
const org = loaded.org!;
const ir = loaded.playbooks[0];

const dc = (severity: Detection['severity'] = 'high'): Detection => ({
  id: 'det-dc-1',
  source: 'generic',
  title: 'Credential dumping on a domain controller',
  severity,
  status: 'confirmed',
  mitre: [],
  incident_id: 'inc-1',
  alert_ids: [],
  detected_at: '2026-12-01T15:00:00Z',
  devices: [{ id: 'dc-01', name: 'dc-01.corp.example', tags: ['domain-controller'] }],
  users: [],
  evidence: { files: [], processes: [], ips: [], urls: [] },
});

function run(at: string, opts: Partial<SimulationOptions> = {}, d = dc()) {
  return simulate(ir, org, d, {
    at: new Date(at),
    approval: 'none',
    approvalAfterMs: 60_000,
    ackAfterMs: null,
    ...opts,
  });
}

/** "HH:MM kind target (stage n)" for every ask of the approval, in order. */
const asks = (r: Awaited<ReturnType<typeof run>>) =>
  r.effects
    .filter((e) => e.kind.startsWith('approval.'))
    .map((e) => `${e.at.slice(11, 16)} ${e.kind} ${e.target ?? ''} ${e.detail?.stage ?? 0}`.trim());

// Tuesday 2026-12-01 09:00 in Chicago (15:00Z): dev is on call for infra-oncall.
const TUESDAY = '2026-12-01T15:00:00Z';

describe('escalating approvals in simulate', () => {
  it('never answered: every stage asks at its time, then on_timeout denies at the last stage', async () => {
    const r = await run(TUESDAY);
    expect(asks(r)).toEqual([
      '15:00 approval.ask soc-slack 0',
      '15:00 approval.ask ben 0',
      '15:05 approval.ask.sms ben 1',
      '15:05 approval.ask.voice ben 1',
      '15:15 approval.ask.voice dev 2',
      '15:15 approval.ask.sms dev 2',
      '15:15 approval.ask.voice ana 2',
      '15:15 approval.ask.sms ana 2',
      '15:30 approval.ask ana 3',
      '15:30 approval.ask ben 3',
    ]);
    expect(r.steps[0]).toMatchObject({ outcome: 'denied', timed_out: true, stage: 3 });
    expect(r.finished_at).toBe('2026-12-01T16:00:00.000Z');
    expect(r.steps[1].status).toBe('skipped');
  });

  it.each([
    ['2m', 'ben', 0],
    ['7m', 'ben', 1],
    ['16m', 'dev', 2],
    ['31m', 'ana', 3],
  ])('answered after %s by %s: decided at stage %i, and no later stage asks', async (after, who, stage) => {
    const ms = { '2m': 120_000, '7m': 420_000, '16m': 960_000, '31m': 1_860_000 }[after]!;
    const r = await run(TUESDAY, { approval: 'approved', approver: who, approvalAfterMs: ms });
    expect(r.refused).toEqual([]);
    expect(r.steps[0]).toMatchObject({ outcome: 'approved', decided_by: who, timed_out: false, stage });
    expect(r.steps[1].status).toBe('succeeded');
    expect(Math.max(...asks(r).map((a) => Number(a.split(' ').pop())))).toBe(stage);
  });

  it('a person of a later stage answering before it started is refused, with when they may decide', async () => {
    const r = await run(TUESDAY, { approval: 'approved', approver: 'ana', approvalAfterMs: 120_000 });
    expect(r.refused).toEqual([
      {
        at: '2026-12-01T15:02:00.000Z',
        kind: 'approval',
        person: 'ana',
        reason: 'ana may not decide yet: escalation stage 2 asks them from 2026-12-01T15:15:00.000Z',
      },
    ]);
    expect(r.steps[0]).toMatchObject({ outcome: 'denied', timed_out: true });
  });

  it('the rotation hands off between stages: the new on-call is asked and may decide', async () => {
    // Monday 2026-11-30 08:58 in Chicago: dev is on call until the 09:00 handoff, then ben.
    const r = await run('2026-11-30T14:58:00Z', {
      approval: 'approved',
      approver: 'ben',
      approvalAfterMs: 8 * 60_000,
    });
    expect(asks(r)).toEqual([
      '14:58 approval.ask soc-slack 0',
      '14:58 approval.ask dev 0',
      '15:03 approval.ask.sms ben 1',
      '15:03 approval.ask.voice ben 1',
    ]);
    expect(r.steps[0]).toMatchObject({ outcome: 'approved', decided_by: 'ben', stage: 1 });
  });

  it('on a holiday the AD owners are not called unless the threat is critical', async () => {
    // 2026-11-27 is a holiday of working-days (and of soc-hours).
    const high = await run('2026-11-27T15:00:00Z');
    expect(asks(high)).toEqual([
      '15:00 approval.ask soc-slack 0',
      '15:00 approval.ask dev 0',
      '15:05 approval.ask.sms dev 1',
      '15:05 approval.ask.voice dev 1',
      '15:15 approval.stage.skipped  2',
      '15:30 approval.ask ana 3',
      '15:30 approval.ask ben 3',
    ]);
    const critical = await run('2026-11-27T15:00:00Z', {}, dc('critical'));
    expect(asks(critical).filter((a) => a.endsWith(' 2'))).toEqual([
      '15:15 approval.ask.voice dev 2',
      '15:15 approval.ask.sms dev 2',
      '15:15 approval.ask.voice ana 2',
      '15:15 approval.ask.sms ana 2',
    ]);
  });

  it('the command line shows each ask with its stage', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-esc-'));
    const file = path.join(dir, 'dc.json');
    fs.writeFileSync(file, JSON.stringify(dc()));
    let out = '';
    const code = await runSimulate(
      ['playbooks/domain-controllers.yaml', '--detection', file, '--at', TUESDAY, '--approval', 'none'],
      { out: (s) => (out += s), err: () => undefined, cwd: ROOT },
    );
    expect(code).toBe(0);
    expect(out).toContain('2026-12-01T15:05:00.000Z  approval.ask.voice         ben         (stage 1)');
    expect(out).toMatch(/ask +succeeded +outcome=denied timed_out=true .* stage=3/);
  });
});
