import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePlaybook } from '../../../compiler';
import { createEvaluator, ExprError } from '../../../engine/expr/runtime';
import type { EvalScope } from '../../../engine/expr/runtime';
import type { Detection } from '../../../core/detection';
import { exampleOrg, exampleText, ROOT } from './helpers';

const org = exampleOrg();
const ev = createEvaluator(org);
const detection: Detection = {
  id: 'rc-1',
  source: 'redcanary',
  title: 'Ransomware behavior detected',
  severity: 'high',
  status: 'confirmed',
  mitre: ['T1486'],
  alert_ids: ['da1'],
  detected_at: '2026-11-22T03:01:07Z',
  devices: [{ id: 'dev1', name: 'wks-042', tags: ['finance'] }],
  users: [{ name: 'jdoe' }],
  evidence: { files: [{ sha256: 'abc', name: 'x.exe' }], processes: [], ips: [], urls: [] },
};
const scope = (over: Partial<EvalScope> = {}): EvalScope => ({
  detection,
  steps: {},
  playbook: { name: 'p', version: 3, hash: 'h' },
  now: new Date('2026-11-23T15:00:00Z'), // Monday 09:00 CST
  ...over,
});
const e = (src: string) => ({ src, at: 'pb.yaml:7:9' });

describe('createEvaluator', () => {
  test('calendar() is evaluated at the scope time', () => {
    expect(ev.bool(e("calendar('soc-hours').open"), scope())).toBe(true);
    expect(ev.bool(e("calendar('soc-hours').open"), scope({ now: new Date('2026-11-24T01:00:00Z') }))).toBe(
      false,
    );
    expect(ev.timestamp(e("calendar('soc-hours').next_close"), scope())).toEqual(
      new Date('2026-11-24T00:00:00Z'),
    );
  });

  test('oncall() and onCall()', () => {
    // 2026-11-23 09:00 CST is week 46 from 2026-01-05: 46 % 3 = 1 → ben.
    expect(ev.value(e("oncall('soc-primary')"), scope())).toEqual({ id: 'ben', name: 'Ben Oduya' });
    expect(ev.onCall('soc-primary', new Date('2026-12-25T12:00:00Z'))).toBe('cho');
  });

  test('protected() and isProtected() follow policy.protected_devices', () => {
    const dc = { id: 'dc1', name: 'dc01', tags: ['domain-controller'] };
    expect(ev.isProtected(dc)).toBe(true);
    expect(ev.isProtected(detection.devices[0])).toBe(false);
    expect(ev.bool(e('protected(device)'), scope({ device: dc }))).toBe(true);
    expect(ev.bool(e('protected(device)'), scope())).toBe(false); // first device of the run
    const none = createEvaluator({ ...org, policy: {} });
    expect(none.isProtected(dc)).toBe(false);
  });

  test('a step that has not run reads as skipped, with zero-valued fields', () => {
    expect(ev.value(e('steps.approval.status'), scope())).toBe('skipped');
    expect(ev.bool(e("steps.approval.outcome == 'approved'"), scope())).toBe(false);
    expect(
      ev.bool(
        e("steps['block-hash'].status == 'succeeded'"),
        scope({ steps: { 'block-hash': { status: 'succeeded' } } }),
      ),
    ).toBe(true);
    expect(
      ev.value(
        e('steps.iso.actions.size()'),
        scope({ steps: { iso: { status: 'succeeded', actions: [{ device: 'a' }, { device: 'b' }] } } }),
      ),
    ).toBe(2);
  });

  test('values convert back to plain JS', () => {
    expect(ev.value(e('playbook.version + 1'), scope())).toBe(4);
    expect(ev.value(e("{'a': [1, 2]}"), scope())).toEqual({ a: [1, 2] });
    expect(ev.value(e('[now]'), scope())).toEqual([new Date('2026-11-23T15:00:00Z')]);
    expect(ev.list(e('detection.devices.map(d, d.name)'), scope())).toEqual(['wks-042']);
    expect(ev.value(e('detection.incident_id'), scope())).toBe(''); // absent optional field
    expect(ev.value(e('item.n * 2'), scope({ item: { n: 21 } }))).toBe(42);
  });

  test('render and renderJson', () => {
    const t = {
      parts: ['Isolate ', e('device.name'), ' (', e('detection.mitre'), ') v', e('playbook.version')],
      at: 'x',
    };
    expect(ev.render(t, scope())).toBe('Isolate wks-042 (["T1486"]) v3');
    const j = {
      t: 'object' as const,
      v: [
        ['id', { t: 'template' as const, v: { parts: [e('detection.id')], at: 'x' } }],
        ['n', { t: 'template' as const, v: { parts: [e('size(detection.devices)')], at: 'x' } }],
        ['list', { t: 'array' as const, v: [{ t: 'literal' as const, v: true }] }],
      ] as Array<[string, never]>,
    };
    expect(ev.renderJson(j, scope())).toEqual({ id: 'rc-1', n: 1, list: [true] });
  });

  test('runtime failures are ExprError at the expression position', () => {
    expect(() => ev.bool(e('detection.title'), scope())).toThrow(ExprError);
    expect(() => ev.bool(e('detection.title'), scope())).toThrow(
      /^pb\.yaml:7:9: 'detection.title' gave a string, expected bool/,
    );
    try {
      ev.value(e('detection.devices[5]'), scope());
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(ExprError);
      expect((err as ExprError).at).toBe('pb.yaml:7:9');
    }
  });

  test('evaluates every expression of the example playbooks', () => {
    const pb = compilePlaybook(
      'x.yaml',
      exampleText('playbooks/contain-confirmed-threat.yaml'),
      org,
    ).playbook!;
    const s = scope({ playbook: { name: pb.name, version: pb.version, hash: pb.hash } });
    expect(ev.bool(pb.on.when, s)).toBe(true);
    expect(ev.bool(pb.steps[1].if!, s)).toBe(true); // open, not protected
    expect(ev.bool(pb.steps[2].if!, s)).toBe(false); // approval not decided yet
    expect(
      ev.bool(pb.steps[2].if!, { ...s, steps: { approval: { status: 'succeeded', outcome: 'approved' } } }),
    ).toBe(true);
    const run = pb.steps[2].run;
    expect(run.kind === 'defender' && ev.render(run.params.comment, s)).toBe(
      `nightshift contain-confirmed-threat v3: rc-1`,
    );
  });
});

describe('workflow safety', () => {
  // Everything the workflow bundle runs of ours besides workflows/ (which the lint covers too).
  const files = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    );
  test('core/ and engine/ import no Node built-ins and read no clock', () => {
    const all = [...files('core'), ...files('engine')];
    expect(all).toContain(join('engine', 'expr', 'runtime.ts'));
    for (const f of all) {
      const src = readFileSync(join(ROOT, f), 'utf8');
      expect([f, src]).not.toEqual([
        f,
        expect.stringMatching(
          /from 'node:|require\(|process\.|Date\.now|Math\.random|new Date\(\)|DateTime\.now|eval\(|new Function/,
        ),
      ]);
    }
  });
});
