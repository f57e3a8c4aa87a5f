import { mkdtempSync, mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runValidate } from '../../../cli/validate';
import { ROOT } from './helpers';

function run(argv: string[], cwd: string): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runValidate(argv, { out: (s) => out.push(s), err: (s) => err.push(s), cwd });
  return { code, out, err };
}

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ns-validate-'));
  copyFileSync(join(ROOT, 'nightshift.yaml'), join(dir, 'nightshift.yaml'));
  mkdirSync(join(dir, 'playbooks'));
  copyFileSync(join(ROOT, 'playbooks/low-severity-notify.yaml'), join(dir, 'playbooks/low.yaml'));
  return dir;
}

const bad = `playbook: bad-one
version: 1
on:
  detection:
    when: detection.sevrity == 'high'
steps:
  - id: a
    notify: { to: [soc-slak], message: hi }
`;

describe('nightshift validate', () => {
  test('the shipped project validates (exit 0)', () => {
    const r = run([], ROOT);
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toMatch(/ok: 6 playbook\(s\)/);
  });

  test('every problem in every file, GNU style, path as given; exit 1', () => {
    const dir = project();
    writeFileSync(join(dir, 'playbooks/bad.yaml'), bad);
    writeFileSync(join(dir, 'other.yml'), bad.replace('bad-one', 'other-one').replace("'high'", '1'));
    const r = run(['playbooks/', './other.yml'], dir);
    expect(r.code).toBe(1);
    expect(r.out).toEqual([
      "playbooks/bad.yaml:5:21: error: on.detection.when: no field 'sevrity'",
      "playbooks/bad.yaml:8:20: error: step 'a': notify.to: unknown channel, person, group or rotation 'soc-slak' (did you mean 'soc-slack'?)",
      "./other.yml:5:21: error: on.detection.when: no field 'sevrity'",
      "./other.yml:8:20: error: step 'a': notify.to: unknown channel, person, group or rotation 'soc-slak' (did you mean 'soc-slack'?)",
    ]);
  });

  test('duplicate playbook names across files', () => {
    const dir = project();
    copyFileSync(join(ROOT, 'playbooks/low-severity-notify.yaml'), join(dir, 'playbooks/copy.yaml'));
    const r = run(['playbooks'], dir);
    expect(r.code).toBe(1);
    expect(r.out).toEqual([
      "playbooks/low.yaml:4:11: error: playbook 'low-severity-notify' is already defined in playbooks/copy.yaml",
    ]);
  });

  test('--config names the organisation file; its errors are reported', () => {
    const dir = project();
    writeFileSync(join(dir, 'org.yaml'), 'people:\n  ana: { name: Ana, phone: x }\n');
    const r = run(['--config', 'org.yaml'], dir);
    expect(r.code).toBe(1);
    expect(r.out).toEqual(['org.yaml:2:28: error: person \'ana\': phone must be E.164, like "+15555550101"']);
  });

  test('a missing path is an error', () => {
    const r = run(['nope/'], project());
    expect(r.code).toBe(1);
    expect(r.out).toEqual(['nope/:1:1: error: no such file or folder']);
  });

  test('--json prints one document', () => {
    const dir = project();
    writeFileSync(join(dir, 'playbooks/bad.yaml'), bad);
    const r = run(['--json'], dir);
    expect(r.code).toBe(1);
    expect(r.out).toHaveLength(1);
    const doc = JSON.parse(r.out[0]);
    expect(doc.ok).toBe(false);
    expect(doc.files).toEqual(['./nightshift.yaml', 'playbooks/bad.yaml', 'playbooks/low.yaml']);
    expect(doc.diagnostics[0]).toEqual({
      file: 'playbooks/bad.yaml',
      line: 5,
      col: 21,
      severity: 'error',
      message: "on.detection.when: no field 'sevrity'",
    });
    expect(JSON.parse(run(['--json'], project()).out[0])).toMatchObject({ ok: true, diagnostics: [] });
  });

  test('bad arguments exit 2 with a usage line', () => {
    const r = run(['--frobnicate'], ROOT);
    expect(r.code).toBe(2);
    expect(r.err[1]).toBe('usage: nightshift validate [PATH…] [--config FILE] [--json]');
    expect(run(['--config'], ROOT).code).toBe(2);
  });
});
