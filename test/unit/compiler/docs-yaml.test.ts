// Every YAML example in the documentation is checked by the compiler, so a documented form that does
// not validate fails the build: nightshift.yaml fragments are laid over the shipped nightshift.yaml and
// loaded, playbooks are compiled against that organisation, step lists are joined into one playbook
// per file (later steps may read earlier ones), playbook test files are read by `nightshift test`'s
// reader, CI workflows and docker-compose fragments must at least parse.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { compilePlaybook, formatDiagnostic, loadOrg } from '../../../compiler';
import type { OrgIR } from '../../../core/ir';
import { readTestFile } from '../../../cli/playbook-tests/test-file';
import { exampleText, ROOT, yamlBlocks, type Block } from './helpers';

const ORG_KEYS = ['calendars', 'people', 'rotations', 'groups', 'channels', 'policy', 'roles'];
type Kind = 'org' | 'playbook' | 'steps' | 'compose' | 'test' | 'ci';

function kindOf(b: Block): Kind | undefined {
  const doc = parse(b.text) as unknown;
  if (Array.isArray(doc))
    return doc.every((s) => s && typeof s === 'object' && 'id' in s) ? 'steps' : undefined;
  if (!doc || typeof doc !== 'object') return undefined;
  const keys = Object.keys(doc);
  if (keys.includes('cases')) return 'test';
  if (keys.includes('playbook')) return 'playbook';
  if (keys.includes('jobs')) return 'ci';
  if (keys.every((k) => ORG_KEYS.includes(k))) return 'org';
  if (keys.includes('services')) return 'compose';
  return undefined;
}

/** The shipped nightshift.yaml with each section of the fragments laid over it, entry by entry. */
function orgWith(fragments: Block[]): { org?: OrgIR; errors: string[] } {
  const merged = parse(exampleText('nightshift.yaml')) as Record<string, Record<string, unknown>>;
  for (const f of fragments) {
    for (const [k, v] of Object.entries(parse(f.text) as Record<string, Record<string, unknown>>))
      merged[k] = { ...(merged[k] ?? {}), ...(v ?? {}) };
  }
  const r = loadOrg('nightshift.yaml', stringify(merged));
  return { org: r.org, errors: r.diagnostics.map(formatDiagnostic) };
}

const where = (b: Block) => `${b.file}:${b.line}`;

const DOCS = [
  'README.md',
  'playbooks/README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe.each(DOCS)('YAML examples of %s', (file) => {
  const blocks = yamlBlocks(file);
  const kinds = new Map(blocks.map((b) => [b, kindOf(b)]));
  const of = (k: Kind) => blocks.filter((b) => kinds.get(b) === k);

  test('every example is of a kind this test checks', () => {
    expect(blocks.filter((b) => kinds.get(b) === undefined).map(where)).toEqual([]);
  });

  test('nightshift.yaml examples load', () => {
    for (const b of of('org'))
      expect({ at: where(b), errors: orgWith([b]).errors }).toEqual({ at: where(b), errors: [] });
  });

  test('playbooks and steps compile against that organisation', () => {
    const { org, errors } = orgWith(of('org'));
    expect(errors).toEqual([]);
    for (const b of of('playbook')) {
      const r = compilePlaybook(where(b), b.text, org!);
      expect({ at: where(b), errors: r.diagnostics.map(formatDiagnostic) }).toEqual({
        at: where(b),
        errors: [],
      });
    }
    const stepBlocks = of('steps');
    if (stepBlocks.length === 0) return;
    const steps = stepBlocks
      .map((b) => b.text)
      .join('')
      .replace(/^/gm, '  ');
    const text = `playbook: examples\nversion: 1\non:\n  detection:\n    when: "true"\nsteps:\n${steps}`;
    const r = compilePlaybook(`${file} (steps)`, text, org!);
    expect({ at: stepBlocks.map(where), errors: r.diagnostics.map(formatDiagnostic) }).toEqual({
      at: stepBlocks.map(where),
      errors: [],
    });
  });

  test('playbook test files read without errors (nightshift test)', () => {
    for (const b of of('test'))
      expect({
        at: where(b),
        errors: readTestFile(where(b), b.text).diagnostics.map(formatDiagnostic),
      }).toEqual({
        at: where(b),
        errors: [],
      });
  });

  test('CI workflows name their jobs', () => {
    for (const b of of('ci')) expect(typeof (parse(b.text) as { jobs: unknown }).jobs).toBe('object');
  });

  test('docker-compose fragments name services', () => {
    for (const b of of('compose'))
      expect(typeof (parse(b.text) as { services: unknown }).services).toBe('object');
  });
});

test('the step reference of playbooks/README.md is covered (one example per step kind)', () => {
  const steps = yamlBlocks('playbooks/README.md')
    .filter((b) => kindOf(b) === 'steps')
    .flatMap((b) => parse(b.text) as Array<Record<string, unknown>>);
  const kinds = new Set(steps.flatMap((s) => Object.keys(s)));
  for (const k of ['notify', 'approval', 'page', 'wait', 'defender.isolate', 'webhook'])
    expect(kinds).toContain(k);
  expect(steps.map((s) => s.id)).toContain('block-hash');
});
