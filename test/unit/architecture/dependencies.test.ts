// The architecture's import rules (.dependency-cruiser.cjs, run by `npm run lint`) refuse a wrong
// import: each case writes a small tree with one, runs the real checker on it with the project's own
// rules, and sees it named. The project itself passes the same rules.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');
const DEPCRUISE = path.join(ROOT, 'node_modules', '.bin', 'depcruise');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/** Runs the checker with the project's rules on a tree of `files` (path → source); its violations. */
function check(files: Record<string, string>): Violation[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nightshift-deps-'));
  try {
    fs.copyFileSync(path.join(ROOT, '.dependency-cruiser.cjs'), path.join(dir, '.dependency-cruiser.cjs'));
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'node16', moduleResolution: 'node16', strict: true } }),
    );
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    }
    const folders = [...new Set(Object.keys(files).map((f) => f.split('/')[0]))];
    const out = execFileSync(
      DEPCRUISE,
      ['--config', '.dependency-cruiser.cjs', '--output-type', 'json', ...folders],
      { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return (JSON.parse(out) as { summary: { violations: Violation[] } }).summary.violations;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const names = (v: Violation[]) => v.map((x) => `${x.rule.name}: ${x.from} → ${x.to}`);

describe('dependency rules', () => {
  it('accept imports that point down the layers', () => {
    expect(
      check({
        'core/ir.ts': 'export const IR = 1;\n',
        'engine/run.ts': "import { IR } from '../core/ir';\nexport const r = IR;\n",
        'workflows/w.ts': "import { r } from '../engine/run';\nexport const w = r;\n",
        'server/s.ts': "import { w } from '../workflows/w';\nexport const s = w;\n",
        'cli/main.ts': "import { s } from '../server/s';\nexport const m = s;\n",
      }),
    ).toEqual([]);
  });

  it('refuse core/ importing server/', () => {
    const v = check({
      'core/bad.ts': "import { s } from '../server/s';\nexport const b = s;\n",
      'server/s.ts': 'export const s = 1;\n',
    });
    expect(names(v)).toEqual(['core-imports: core/bad.ts → server/s.ts']);
  });

  it('refuse workflows/ importing activities/ (types count too)', () => {
    const v = check({
      'workflows/w.ts': "import type { A } from '../activities/a';\nexport type W = A;\n",
      'activities/a.ts': 'export interface A { x: number }\n',
    });
    expect(names(v)).toEqual(['workflows-imports: workflows/w.ts → activities/a.ts']);
  });

  it('refuse anything but cli/ importing worker/, and anything importing cli/', () => {
    const v = check({
      'server/s.ts':
        "import { m } from '../cli/main';\nimport { w } from '../worker/w';\nexport const s = [m, w];\n",
      'cli/main.ts': 'export const m = 1;\n',
      'worker/w.ts': 'export const w = 1;\n',
    });
    expect(names(v).sort()).toEqual([
      'composition-roots: server/s.ts → cli/main.ts',
      'composition-roots: server/s.ts → worker/w.ts',
      'server-imports: server/s.ts → cli/main.ts',
      'server-imports: server/s.ts → worker/w.ts',
    ]);
  });

  it('refuse cycles between modules', () => {
    const v = check({
      'engine/a.ts': "import { b } from './b';\nexport const a = () => b;\n",
      'engine/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
    });
    expect(v.map((x) => x.rule.name)).toContain('no-cycles');
    expect(v.every((x) => x.rule.name === 'no-cycles')).toBe(true);
  });

  it('refuse Node built-ins and packages off the allow-list in the workflow sandbox', () => {
    const v = check({
      'core/fs.ts': "import fs from 'node:fs';\nexport const f = fs;\n",
      'engine/z.ts': "import { z } from 'zod';\nexport const s = z.string();\n",
      'engine/ok.ts': "import { DateTime } from 'luxon';\nexport const d = DateTime;\n",
    });
    expect(v.map((x) => `${x.rule.name}: ${x.from}`).sort()).toEqual([
      'workflow-sandbox-packages: core/fs.ts',
      'workflow-sandbox-packages: engine/z.ts',
    ]);
  });

  it('hold for the project itself (what `npm run lint:deps` checks)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const script = pkg.scripts['lint:deps'];
    const args = script.split(/\s+/).slice(1);
    const out = execFileSync(DEPCRUISE, [...args, '--output-type', 'json'], { cwd: ROOT, encoding: 'utf8' });
    const result = JSON.parse(out) as { summary: { violations: Violation[]; totalCruised: number } };
    expect(names(result.summary.violations)).toEqual([]);
    expect(result.summary.totalCruised).toBeGreaterThan(100);
  });
});
