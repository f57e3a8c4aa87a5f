// `nightshift simulate` (spec §6): the JSON document, exit codes, defaults, refusals, and decisions
// at calendar boundaries, on holidays and across DST, all on the virtual clock.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runSimulate } from '../../cli/simulate';
import { simulate } from '../../simulator/simulate';
import { detection, fixtureOrg, fixturePlaybook } from '../support/playbooks';

const ROOT = path.join(__dirname, '..', '..');

function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  return runSimulate(argv, { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), cwd: ROOT }).then(
    (code) => ({
      code,
      out,
      err,
    }),
  );
}

const HEADLINE = ['playbooks/contain-confirmed-threat.yaml', '--detection', 'examples/detection.json'];

describe('nightshift simulate: the command line', () => {
  it('prints the spec JSON document for a day-time run approved by the default approver after 1m', async () => {
    // Monday 2026-11-23 09:00 in Chicago (CST, UTC-6): SOC hours.
    const r = await run([...HEADLINE, '--at', '2026-11-23T15:00:00Z', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(Object.keys(doc).slice(0, 8)).toEqual([
      'playbook',
      'version',
      'matched',
      'started_at',
      'finished_at',
      'outcome',
      'steps',
      'effects',
    ]);
    expect(doc).toMatchObject({
      playbook: 'contain-confirmed-threat',
      version: 3,
      matched: true,
      started_at: '2026-11-23T15:00:00.000Z',
      finished_at: '2026-11-23T15:01:00.000Z',
      outcome: 'completed',
    });
    expect(doc.steps.map((s: { id: string; status: string }) => `${s.id}:${s.status}`)).toEqual([
      'announce:succeeded',
      'approval:succeeded',
      'isolate:succeeded',
      'page:skipped',
    ]);
    expect(doc.steps[1]).toMatchObject({
      outcome: 'approved',
      timed_out: false,
      decided_by: 'ana', // the first allowed approver of soc-leads
      decided_at: '2026-11-23T15:01:00.000Z',
      started_at: '2026-11-23T15:00:00.000Z',
      finished_at: '2026-11-23T15:01:00.000Z',
    });
    expect(doc.effects).toEqual([
      { at: '2026-11-23T15:00:00.000Z', kind: 'notify', target: 'soc-slack' },
      { at: '2026-11-23T15:00:00.000Z', kind: 'notify', target: 'soc-teams' },
      { at: '2026-11-23T15:00:00.000Z', kind: 'approval.ask', target: 'soc-slack' },
      { at: '2026-11-23T15:00:00.000Z', kind: 'approval.ask', target: 'soc-email' },
      {
        at: '2026-11-23T15:01:00.000Z',
        kind: 'defender.isolate',
        device: '1e5bc9d7e413ddd7902c2932e418702b84d0cc07',
      },
    ]);
  });

  it('at night isolates at once and pages the on-call on every channel; --ack acknowledges', async () => {
    const r = await run([...HEADLINE, '--at', '2026-11-22T03:01:07Z', '--ack', '4m', '--json']);
    const doc = JSON.parse(r.out);
    expect(doc.steps[1].status).toBe('skipped');
    expect(doc.steps[3]).toMatchObject({
      status: 'succeeded',
      acked_by: 'ana',
      acked_at: '2026-11-22T03:05:07.000Z',
    });
    expect(doc.effects.map((e: { kind: string; target?: string }) => `${e.kind}:${e.target ?? ''}`)).toEqual([
      'notify:soc-slack',
      'notify:soc-teams',
      'defender.isolate:',
      'page.sms:ana',
      'page.voice:ana',
    ]);
  });

  it('without --ack escalates after ack_timeout and ends timed_out; the run still completes', async () => {
    const r = await run([...HEADLINE, '--at', '2026-11-22T03:01:07Z', '--json']);
    const doc = JSON.parse(r.out);
    expect(doc.outcome).toBe('completed');
    expect(doc.steps[3]).toMatchObject({ status: 'timed_out' });
    expect(doc.finished_at).toBe('2026-11-22T03:21:07.000Z'); // two ack_timeouts of 10m
    const escalations = doc.effects.filter((e: { at: string }) => e.at === '2026-11-22T03:11:07.000Z');
    expect(escalations.map((e: { kind: string; target: string }) => `${e.kind}:${e.target}`)).toEqual([
      'page.sms:ana',
      'page.voice:ana',
      'page.sms:ben',
      'page.voice:ben',
    ]);
  });

  it('refuses an approver who may not answer, exactly as a click would, and the approval times out', async () => {
    const r = await run([...HEADLINE, '--at', '2026-11-23T15:00:00Z', '--approver', 'cho', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.refused).toEqual([
      {
        at: '2026-11-23T15:01:00.000Z',
        kind: 'approval',
        person: 'cho',
        reason: 'cho may not decide this approval',
      },
    ]);
    expect(doc.steps[1]).toMatchObject({
      outcome: 'approved',
      timed_out: true,
      decided_by: '',
      channel: 'timeout',
    });
    expect(doc.steps[1].finished_at).toBe('2026-11-23T15:15:00.000Z');
  });

  it('--approval denied keeps the device connected; --approval-after sets when', async () => {
    const r = await run([
      ...HEADLINE,
      '--at',
      '2026-11-23T15:00:00Z',
      '--approval',
      'denied',
      '--approval-after',
      '3m',
      '--json',
    ]);
    const doc = JSON.parse(r.out);
    expect(doc.steps[1]).toMatchObject({ outcome: 'denied', decided_at: '2026-11-23T15:03:00.000Z' });
    expect(doc.steps[2].status).toBe('skipped');
  });

  it('reports a detection that does not match as not_matched (exit 0)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-sim-'));
    const low = {
      ...JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/detection.json'), 'utf8')),
      severity: 'low',
    };
    fs.writeFileSync(path.join(dir, 'low.json'), JSON.stringify(low));
    const r = await run([
      'playbooks/contain-confirmed-threat.yaml',
      '--detection',
      path.join(dir, 'low.json'),
      '--at',
      '2026-11-23T15:00:00Z',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ matched: false, outcome: 'not_matched', effects: [] });
  });

  it('takes a detection without detected_at as detected at --at', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-sim-'));
    const { detected_at: _omitted, ...undated } = JSON.parse(
      fs.readFileSync(path.join(ROOT, 'examples/detection.json'), 'utf8'),
    );
    fs.writeFileSync(path.join(dir, 'undated.json'), JSON.stringify(undated));
    // Matches only when the detection's time is the simulated instant.
    fs.writeFileSync(
      path.join(dir, 'at.yaml'),
      [
        'playbook: detected-at',
        'version: 1',
        'on:',
        '  detection:',
        "    when: detection.detected_at == '2026-11-23T15:00:00.000Z'",
        'steps:',
        '  - id: tell',
        '    notify: { to: [soc-slack], message: "seen at ${{ detection.detected_at }}" }',
      ].join('\n'),
    );
    const r = await run([
      path.join(dir, 'at.yaml'),
      '--config',
      'nightshift.yaml',
      '--detection',
      path.join(dir, 'undated.json'),
      '--at',
      '2026-11-23T15:00:00Z',
      '--json',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ matched: true, outcome: 'completed' });
  });

  it.each([
    [
      ['playbooks/contain-confirmed-threat.yaml', '--detection', 'examples/detection.json'],
      /--at INSTANT is required/,
    ],
    [[...HEADLINE, '--at', '2026-11-23 15:00'], /not an ISO-8601 instant with a zone/],
    [
      [...HEADLINE, '--at', '2026-11-23T15:00:00Z', '--approval', 'maybe'],
      /must be approved, denied or none/,
    ],
    [[...HEADLINE, '--at', '2026-11-23T15:00:00Z', '--approval-after', 'soon'], /not a duration/],
    [[...HEADLINE, '--at', '2026-11-23T15:00:00Z', '--approver', 'zed'], /--approver "zed" is not a person/],
    [[...HEADLINE, '--at', '2026-11-23T15:00:00Z', '--frobnicate'], /Unknown option '--frobnicate'/],
    [
      ['nope.yaml', '--detection', 'examples/detection.json', '--at', '2026-11-23T15:00:00Z'],
      /PLAYBOOK nope.yaml: no such file/,
    ],
  ])('exits 2 on a bad argument %#', async (argv, message) => {
    const r = await run(argv as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/usage: nightshift simulate/);
  });

  it('exits 1 on a load error, naming file, line and column', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-sim-'));
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      bad,
      [
        'playbook: bad',
        'version: 1',
        'on:',
        '  detection:',
        "    when: detection.severity == 'high'",
        'steps:',
        '  - id: a',
        '    notify: { to: [nowhere], message: hi }',
        '',
      ].join('\n'),
    );
    const r = await run([bad, '--detection', 'examples/detection.json', '--at', '2026-11-23T15:00:00Z']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:8:\\d+: error: .*nowhere`),
    );
  });
});

describe('decisions at calendar boundaries, on holidays and across DST (America/New_York)', () => {
  const org = fixtureOrg();
  const pb = fixturePlaybook('day-night.yaml', org, {
    '@CAL@': 'soc-hours',
    '@TIMEOUT@': '15m',
    '@ON_TIMEOUT@': 'denied',
    '@ACK@': '10m',
  });
  const d = detection({ id: 'det-boundary', incident_id: 'inc-boundary' });
  const sim = (at: string, approval: 'approved' | 'none' = 'none') =>
    simulate(pb, org, d, { at: new Date(at), approval, approvalAfterMs: 60_000, ackAfterMs: 60_000 });
  const statuses = (r: Awaited<ReturnType<typeof sim>>) =>
    Object.fromEntries(r.steps.map((s) => [s.id, s.status]));

  it('is open at 08:00:00 local and closed one second before (windows are half-open)', async () => {
    // Monday 2026-11-23, EST (UTC-5): 08:00 local = 13:00Z.
    expect(statuses(await sim('2026-11-23T12:59:59Z'))).toMatchObject({
      approval: 'skipped',
      isolate: 'succeeded',
      page: 'succeeded',
    });
    expect(statuses(await sim('2026-11-23T13:00:00Z', 'approved'))).toMatchObject({
      approval: 'succeeded',
      isolate: 'succeeded',
      page: 'skipped',
    });
  });

  it('is closed at 18:00:00 local and open one second before', async () => {
    // Asked at 17:58, approved at 17:59: still day when the next steps run, so no page.
    expect(statuses(await sim('2026-11-23T22:58:00Z', 'approved'))).toMatchObject({
      approval: 'succeeded',
      page: 'skipped',
    });
    // Asked at 17:59:59 and approved a minute later: the page step is reached after 18:00 and sees night.
    expect(statuses(await sim('2026-11-23T22:59:59Z', 'approved'))).toMatchObject({
      approval: 'succeeded',
      page: 'succeeded',
    });
    expect(statuses(await sim('2026-11-23T23:00:00Z'))).toMatchObject({
      approval: 'skipped',
      page: 'succeeded',
    });
  });

  it('evaluates each step when it is reached: asked at 17:50, timed out at 18:05, the isolate step sees night', async () => {
    const r = await sim('2026-11-23T22:50:00Z');
    expect(r.steps.find((s) => s.id === 'approval')).toMatchObject({
      outcome: 'denied',
      timed_out: true,
      finished_at: '2026-11-23T23:05:00.000Z',
    });
    // Denied by timeout, but the calendar is now closed: isolate automatically and page.
    expect(statuses(r)).toMatchObject({ isolate: 'succeeded', page: 'succeeded' });
    expect(r.effects.find((e) => e.kind === 'defender.isolate')?.at).toBe('2026-11-23T23:05:00.000Z');
  });

  it('follows the zone rules across the spring-forward change (2026-03-08)', async () => {
    // Friday 2026-03-06 is EST (UTC-5): 08:00 local = 13:00Z. Monday 2026-03-09 is EDT (UTC-4): 08:00 = 12:00Z.
    expect(statuses(await sim('2026-03-06T12:30:00Z'))).toMatchObject({ approval: 'skipped' });
    expect(statuses(await sim('2026-03-09T12:30:00Z', 'approved'))).toMatchObject({ approval: 'succeeded' });
    expect(statuses(await sim('2026-03-09T11:59:59Z'))).toMatchObject({ approval: 'skipped' });
  });

  it('follows the zone rules across the fall-back change (2026-11-01)', async () => {
    // 22:30Z is 18:30 on Thursday 2026-10-29 (EDT, UTC-4): closed; and 17:30 on Monday 2026-11-02 (EST, UTC-5): open.
    expect(statuses(await sim('2026-10-29T22:30:00Z'))).toMatchObject({ approval: 'skipped' });
    expect(statuses(await sim('2026-11-02T22:30:00Z', 'approved'))).toMatchObject({ approval: 'succeeded' });
    expect(statuses(await sim('2026-10-29T21:30:00Z', 'approved'))).toMatchObject({ approval: 'succeeded' });
  });

  it('is closed all day on a holiday (Thanksgiving, 2026-11-26)', async () => {
    expect(statuses(await sim('2026-11-26T15:00:00Z'))).toMatchObject({
      approval: 'skipped',
      isolate: 'succeeded',
      page: 'succeeded',
    });
    expect(statuses(await sim('2026-11-25T15:00:00Z', 'approved'))).toMatchObject({ approval: 'succeeded' });
  });
});

describe('nightshift simulate --defender: a scripted Defender tenant (issue 15)', () => {
  const SWEEP = [
    'playbooks/hash-sweep.yaml',
    '--detection',
    'examples/redcanary-hash.json',
    '--at',
    '2026-12-01T03:13:00Z',
  ];

  it('resolves the host by name, hunts the hash, and isolates every machine that ran it but the MDE-tagged DC', async () => {
    const r = await run([...SWEEP, '--defender', 'examples/defender-tenant.yaml', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.outcome).toBe('completed');
    expect(doc.machines['ws-0042']).toMatchObject({
      status: 'found',
      id: '1e5ac2c1b4a7e1d6f00000000000000000000042',
      found_by: 'name',
    });
    // The query as it would be sent: the detection's hash as a KQL string literal.
    expect(doc.queries.hunt).toContain(
      'SHA256 in ("275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f")',
    );
    const isolated = doc.effects.filter((e: { kind: string }) => e.kind === 'defender.isolate');
    expect(isolated.map((e: { device: string }) => e.device).sort()).toEqual([
      '1e5ac2c1b4a7e1d6f00000000000000000000042',
      '3e5ac2c1b4a7e1d6f00000000000000000000007',
    ]);
    expect(doc.steps.find((s: { id: string }) => s.id === 'isolate')).toMatchObject({
      status: 'failed',
      reason: 'protected',
    });
    expect(doc.effects.map((e: { kind: string }) => e.kind)).toContain('defender.alert_sync');
    expect(doc.incidents[0]).toMatchObject({ id: '1042', name: 'Malware on ws-0042' });
  });

  it('without a tenant file, lookups and hunts answer as a dry run: nothing found to sweep', async () => {
    const doc = JSON.parse((await run([...SWEEP, '--json'])).out);
    expect(doc.machines['ws-0042']).toMatchObject({ status: 'dry_run' });
    expect(doc.steps.find((s: { id: string }) => s.id === 'hunt')).toMatchObject({ row_count: 0 });
  });

  it('refuses a bad tenant file, naming the file and the field', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-tenant-'));
    const file = path.join(dir, 'tenant.yaml');
    fs.writeFileSync(file, 'machines:\n  - { id: not-an-id, name: x }\n');
    const r = await run([...SWEEP, '--defender', file]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}: machines.0.id: must be a Defender machine id (40 hex digits)`);
  });
});
