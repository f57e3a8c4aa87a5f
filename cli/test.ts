// `nightshift test [PATH…] [--config FILE] [--junit FILE] [--update]`: runs playbook test files
// (default playbooks/tests/) on simulate's virtual clock. Exit 0 all pass, 1 a case failed or a file is
// bad, 2 bad arguments (like validate).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isMap, isSeq, parseDocument } from 'yaml';
import { formatDiagnostic, loadProject } from '../compiler';
import type { OrgIR, PlaybookIR } from '../core/ir';
import { parseDetection } from '../intake/formats/generic';
import { junitXml, type SuiteResult } from './playbook-tests/junit';
import { parseScriptedTenant, ScriptedDefender } from '../integrations/defender/scripted';
import { runCase } from './playbook-tests/run-case';
import { readTestFile, type DetectionSource, type Expectations } from './playbook-tests/test-file';
import type { CliIO } from './simulate';

const USAGE = 'usage: nightshift test [PATH…] [--config FILE] [--junit FILE] [--update]';

/** The test files under the paths: files as given, directories' *.yaml / *.yml (sorted). */
function testFiles(paths: string[], cwd: string): { files: string[]; missing?: string } {
  const files: string[] = [];
  for (const p of paths) {
    const abs = path.resolve(cwd, p);
    if (!fs.existsSync(abs)) return { files, missing: p };
    if (fs.statSync(abs).isDirectory()) {
      for (const f of fs.readdirSync(abs).sort()) if (/\.ya?ml$/.test(f)) files.push(path.join(abs, f));
    } else files.push(abs);
  }
  return { files };
}

export async function runTest(argv: string[], io: CliIO): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        junit: { type: 'string' },
        update: { type: 'boolean' },
      },
    });
  } catch (err) {
    io.err(`nightshift test: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  const found = testFiles(positionals.length ? positionals : ['playbooks/tests'], io.cwd);
  if (found.missing !== undefined) {
    io.err(`nightshift test: ${found.missing}: no such file or directory\n${USAGE}`);
    return 2;
  }
  const shown = (f: string) => path.relative(io.cwd, f) || f;
  const defaultConfig = path.resolve(io.cwd, values.config ?? 'nightshift.yaml');
  const projects = new Map<string, { org?: OrgIR; ir?: PlaybookIR; errors: string[] }>();
  const suites: SuiteResult[] = [];
  let passed = 0;
  let failed = 0;
  let bad = 0;

  for (const file of found.files) {
    const text = fs.readFileSync(file, 'utf8');
    const read = readTestFile(shown(file), text);
    const suite: SuiteResult = { name: shown(file), cases: [] };
    suites.push(suite);
    const fileErrors = read.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
    const tests = read.tests;
    if (!tests) {
      for (const e of fileErrors) io.err(e);
      suite.error = fileErrors.join('\n');
      bad++;
      continue;
    }
    const config = tests.config ?? defaultConfig;
    const key = `${config}\n${tests.playbook}`;
    if (!projects.has(key)) {
      const loaded = loadProject({ config, paths: [tests.playbook] });
      const errors = loaded.diagnostics
        .filter((d) => d.severity === 'error')
        .map((d) => formatDiagnostic({ ...d, file: shown(d.file) }));
      if (!errors.length && loaded.playbooks.length !== 1)
        errors.push(`${shown(file)}: error: ${shown(tests.playbook)} holds no playbook`);
      projects.set(key, { org: loaded.org, ir: loaded.playbooks[0], errors });
    }
    const project = projects.get(key)!;
    if (project.errors.length || !project.org || !project.ir) {
      for (const e of project.errors) io.err(e);
      suite.error = project.errors.join('\n');
      bad++;
      continue;
    }

    // The scripted Defender tenant, read once per file; a bad one fails the file, naming the field.
    let defender: ScriptedDefender | undefined;
    if (tests.defender) {
      try {
        defender = new ScriptedDefender(
          parseScriptedTenant(fs.readFileSync(tests.defender, 'utf8'), shown(tests.defender)),
        );
      } catch (err) {
        const msg = `${shown(file)}: error: defender: ${(err as Error).message}`;
        io.err(msg);
        suite.error = msg;
        bad++;
        continue;
      }
    }

    io.out(`${shown(file)} (${project.ir.name})`);
    const updates: Array<{ index: number; observed: Required<Expectations> }> = [];
    for (const c of tests.cases) {
      const started = Date.now();
      const raw = detectionOf(tests.detection, c.detection);
      const parsed = raw.error ? undefined : parseDetection(raw.value, { now: c.start });
      const problem =
        raw.error ??
        (parsed?.detection ? undefined : parsed?.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
      if (problem || !parsed?.detection) {
        const msg = `${c.at}: error: case '${c.name}': the detection: ${problem}`;
        io.err(msg);
        suite.cases.push({ name: c.name, ms: 0, failure: msg });
        failed++;
        continue;
      }
      const result = await runCase(project.ir, project.org, parsed.detection, c, defender);
      const ms = Date.now() - started;
      if (values.update) updates.push({ index: c.index, observed: result.observed });
      if (result.diff.length === 0 || values.update) {
        io.out(`  ✓ ${c.name}${values.update ? ' (expectations updated)' : ''}`);
        suite.cases.push({ name: c.name, ms });
        passed++;
      } else {
        io.out(`  ✗ ${c.name}  (${c.at})`);
        for (const d of result.diff) io.out(`      ${d}`);
        suite.cases.push({ name: c.name, ms, failure: result.diff.join('\n') });
        failed++;
      }
    }
    if (values.update && updates.length) fs.writeFileSync(file, updated(text, updates));
  }

  io.out(
    `${passed} passed, ${failed} failed${bad ? `, ${bad} file(s) with errors` : ''} (${found.files.length} file(s))`,
  );
  if (values.junit) fs.writeFileSync(path.resolve(io.cwd, values.junit), junitXml(suites));
  return failed || bad ? 1 : 0;
}

/** The case's detection: the file's (a JSON file or a mapping) with the case's laid over it. */
function detectionOf(
  base: DetectionSource | undefined,
  own: DetectionSource | undefined,
): { value?: unknown; error?: string } {
  const load = (s: DetectionSource): { value?: Record<string, unknown>; error?: string } => {
    if ('inline' in s) return { value: s.inline };
    try {
      return { value: JSON.parse(fs.readFileSync(s.file, 'utf8')) as Record<string, unknown> };
    } catch (err) {
      return { error: `${s.file}: ${(err as Error).message}` };
    }
  };
  if (!base && !own) return { error: 'none given (detection: a JSON file or a mapping)' };
  const b = base ? load(base) : { value: {} };
  if (b.error) return b;
  if (!own) return b;
  const o = load(own);
  if (o.error) return o;
  // A file replaces the file's detection; a mapping is laid over it (top-level keys replace).
  return { value: 'file' in own ? o.value : { ...b.value, ...o.value } };
}

/** The test file with each case's `expect` replaced by what was observed (comments elsewhere kept). */
function updated(text: string, updates: Array<{ index: number; observed: Required<Expectations> }>): string {
  const doc = parseDocument(text);
  for (const u of updates) {
    const { refused, ...rest } = u.observed;
    const node = doc.createNode(refused.length ? u.observed : rest);
    // One line per effect and refusal, so a change shows as a one-line diff.
    for (const key of ['effects', 'refused']) {
      const seq = node.get(key, true);
      if (isSeq(seq)) for (const item of seq.items) if (isMap(item)) item.flow = true;
    }
    doc.setIn(['cases', u.index, 'expect'], node);
  }
  return doc.toString({ lineWidth: 0 });
}
