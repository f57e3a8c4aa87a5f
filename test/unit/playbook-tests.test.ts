// `nightshift test`: the shipped test files of every example playbook pass (this is how `npm test`
// runs them), a changed expectation fails with a readable diff, bad test files get file:line:col
// errors, --junit writes a report, --update rewrites expectations, bad arguments exit 2.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTest } from '../../cli/test';

const ROOT = path.join(__dirname, '..', '..');

async function run(argv: string[], cwd = ROOT): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runTest(argv, { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), cwd });
  return { code, out, err };
}

/** A temporary test file next to the example playbooks (so its relative paths resolve). */
function tmpTest(text: string): { file: string; rel: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(ROOT, 'playbooks', 'tests', '.tmp-'));
  const file = path.join(dir, 'case.yaml');
  fs.writeFileSync(file, text);
  return { file, rel: path.relative(ROOT, file), remove: () => fs.rmSync(dir, { recursive: true }) };
}

const HEAD = `playbook: ../../domain-controllers.yaml
config: ../../../nightshift.yaml
detection:
  id: det-dc-1
  title: Credential dumping
  severity: high
  status: confirmed
  devices: [{ id: dc-01, name: dc-01, tags: [domain-controller] }]
cases:
`;

describe('nightshift test', () => {
  it('passes every shipped test file of every example playbook', async () => {
    const r = await run(['playbooks/tests']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const playbooks = fs.readdirSync(path.join(ROOT, 'playbooks')).filter((f) => f.endsWith('.yaml'));
    for (const p of playbooks) expect(r.out).toContain(`playbooks/tests/${p} (${p.replace('.yaml', '')})`);
    expect(r.out).toMatch(new RegExp(`^\\d+ passed, 0 failed \\(${playbooks.length} file\\(s\\)\\)$`, 'm'));
  });

  it('a case whose expectation no longer holds fails with a readable diff, exit 1, and in the JUnit report', async () => {
    const t = tmpTest(
      HEAD +
        `  - name: the on-call approves at stage 1
    at: 2026-12-01T15:00:00Z
    answers: [{ step: ask, by: ben, after: 2m, answer: approved }]
    expect:
      outcome: completed
      steps: { ask: { outcome: approved, stage: 1 } }
      effects:
        - { at: 0s, kind: approval.ask, target: soc-slack }
        - { at: 5m, kind: approval.ask.sms, target: ben }
`,
    );
    const junit = path.join(os.tmpdir(), `ns-junit-${process.pid}.xml`);
    try {
      const r = await run([t.rel, '--junit', junit]);
      expect(r.code).toBe(1);
      expect(r.out).toContain('✗ the on-call approves at stage 1');
      expect(r.out).toContain('steps.ask.stage: expected 1, got 0');
      expect(r.out).toContain(
        'effects[1]: expected { at: 5m, kind: approval.ask.sms, target: ben } after the one before; observed:',
      );
      expect(r.out).toContain('    { at: 0s, kind: approval.ask, target: ben }');
      expect(r.out).toContain('0 passed, 1 failed (1 file(s))');
      const xml = fs.readFileSync(junit, 'utf8');
      expect(xml).toContain('<testsuites name="nightshift test" tests="1" failures="1" errors="0">');
      expect(xml).toMatch(
        /<testcase name="the on-call approves at stage 1" [^>]*><failure message="steps.ask.stage: expected 1, got 0">/,
      );
    } finally {
      t.remove();
      fs.rmSync(junit, { force: true });
    }
  });

  it('--update writes what was observed as the new expectations, keeping the rest of the file', async () => {
    const t = tmpTest(
      HEAD +
        `  # the comment stays
  - name: nobody answers
    at: 2026-12-01T15:00:00Z
    expect: { outcome: failed }
`,
    );
    try {
      expect((await run([t.rel])).code).toBe(1);
      expect((await run([t.rel, '--update'])).code).toBe(0);
      const text = fs.readFileSync(t.file, 'utf8');
      expect(text).toContain('# the comment stays');
      expect(text).toContain('outcome: completed');
      expect(text).toContain('- { at: 15m, kind: approval.ask.voice, target: dev, stage: 2 }');
      expect((await run([t.rel])).code).toBe(0);
    } finally {
      t.remove();
    }
  });

  it('reports every problem of a bad test file at file:line:col, exit 1', async () => {
    const t = tmpTest(
      HEAD +
        `  - name: bad
    at: 2026-12-01 15:00
    answers: [{ step: ask, by: ben, after: soon, answer: yes }]
    expekt: {}
`,
    );
    try {
      const r = await run([t.rel]);
      expect(r.code).toBe(1);
      expect(r.err.trim().split('\n')).toEqual([
        `${t.rel}:13:5: error: unknown key 'expekt' in cases[0] (did you mean 'expect'?)`,
        `${t.rel}:10:5: error: cases[0] is missing 'expect'`,
        `${t.rel}:11:9: error: cases[0].at: '2026-12-01 15:00' is not an ISO-8601 instant with a zone, e.g. 2026-11-22T03:00:00Z`,
        `${t.rel}:12:44: error: cases[0].answers[0].after: 'soon' is not a duration (like 0s, 90s, 5m)`,
        `${t.rel}:12:58: error: cases[0].answers[0].answer: 'yes' is not one of approved, denied`,
      ]);
    } finally {
      t.remove();
    }
  });

  it('exits 2 on bad arguments', async () => {
    expect((await run(['no/such/dir'])).code).toBe(2);
    expect((await run(['--frobnicate'])).code).toBe(2);
  });
});
