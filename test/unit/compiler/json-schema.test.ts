// The playbook JSON Schema, checked with ajv: derived from the compiler's tables (every step kind is in
// it), it accepts every example playbook and documented snippet, and rejects the structural errors the
// compiler rejects. The committed schemas/playbook.json is the generated one; the server serves it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import Fastify from 'fastify';
import { parse } from 'yaml';
import { compilePlaybook, loadOrg } from '../../../compiler';
import { orgSchema, playbookSchema } from '../../../compiler/json-schema';
import { STEP_KINDS } from '../../../compiler/step-kinds';
import { schemaRoutes } from '../../../server/routes/schemas';
import { exampleOrg, exampleText, ROOT, yamlBlocks } from './helpers';

const schema = playbookSchema();
const validate = new Ajv({ allErrors: true }).compile(schema);
const org = exampleOrg();
const errorsOf = (doc: unknown) =>
  validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

const EXAMPLES = readdirSync(join(ROOT, 'playbooks')).filter((f) => f.endsWith('.yaml'));

describe('the playbook JSON Schema', () => {
  it('has every step kind of the compiler table, each with its keys', () => {
    const step = (
      schema.definitions as Record<string, { properties: Record<string, unknown>; oneOf: unknown[] }>
    ).step;
    for (const [kind, spec] of Object.entries(STEP_KINDS)) {
      expect(step.properties).toHaveProperty([kind]);
      expect(step.oneOf).toContainEqual({ required: [kind] });
      expect(JSON.stringify(step.properties[kind])).toContain(JSON.stringify(spec.doc));
      for (const key of Object.keys(spec.keys))
        expect(JSON.stringify(step.properties[kind])).toContain(`"${key}":`);
    }
  });

  it.each(EXAMPLES)('accepts the example playbook %s', (file) => {
    expect(errorsOf(parse(exampleText(`playbooks/${file}`)))).toEqual([]);
  });

  it('accepts every documented playbook and step of playbooks/README.md and README.md', () => {
    for (const doc of ['playbooks/README.md', 'README.md']) {
      for (const b of yamlBlocks(doc)) {
        const v = parse(b.text) as unknown;
        const asPlaybook = Array.isArray(v)
          ? { playbook: 'doc', version: 1, on: { detection: { when: 'true' } }, steps: v }
          : v && typeof v === 'object' && 'playbook' in v && !('cases' in v)
            ? v
            : undefined;
        if (asPlaybook)
          expect({ at: `${doc}:${b.line}`, errors: errorsOf(asPlaybook) }).toEqual({
            at: `${doc}:${b.line}`,
            errors: [],
          });
      }
    }
  });

  const pb = (steps: string, top = '') => `playbook: t
version: 1
${top}on:
  detection:
    when: "true"
steps:
${steps}`;
  it.each([
    [
      'an unknown top-level key',
      pb('  - id: a\n    notify: { to: [soc-slack], message: m }\n', 'owner: me\n'),
    ],
    [
      'a missing version',
      pb('  - id: a\n    notify: { to: [soc-slack], message: m }\n').replace('version: 1\n', ''),
    ],
    ['a step without id', pb('  - notify: { to: [soc-slack], message: m }\n')],
    ['a step without a kind', pb('  - id: a\n    name: nothing\n')],
    [
      'a step with two kinds',
      pb('  - id: a\n    notify: { to: [soc-slack], message: m }\n    wait: { for: 5m }\n'),
    ],
    ['an unknown key of a kind', pb('  - id: a\n    notify: { to: [soc-slack], mesage: m }\n')],
    ['a missing required key', pb('  - id: a\n    notify: { to: [soc-slack] }\n')],
    ['a bad duration', pb('  - id: a\n    wait: { for: 5 minutes }\n')],
    [
      'a bad enum',
      pb(
        '  - id: a\n    approval: { ask: [soc-slack], approvers: [ana], question: q, timeout: 5m, on_timeout: maybe }\n',
      ),
    ],
    [
      'an unknown way to reach people',
      pb('  - id: a\n    page: { rotation: soc-primary, via: [pigeon], message: m, ack_timeout: 5m }\n'),
    ],
    [
      'both rotation and to',
      pb(
        '  - id: a\n    page: { rotation: soc-primary, to: [ana], via: [sms], message: m, ack_timeout: 5m }\n',
      ),
    ],
    [
      'a stage without after',
      pb(
        '  - id: a\n    approval: { ask: [soc-slack], approvers: [ana], question: q, timeout: 5m, escalate: [{ via: [sms] }] }\n',
      ),
    ],
    ['a bad literal Defender enum', pb('  - id: a\n    defender.isolate: { type: partial }\n')],
    ['a bad step id', pb('  - id: A\n    notify: { to: [soc-slack], message: m }\n')],
    [
      'a bad group_by',
      pb('  - id: a\n    notify: { to: [soc-slack], message: m }\n').replace(
        'when: "true"',
        'when: "true"\n    group_by: host',
      ),
    ],
  ])('rejects %s, as the compiler does', (_what, text) => {
    expect(compilePlaybook('t.yaml', text, org).playbook).toBeUndefined();
    expect(errorsOf(parse(text))).not.toEqual([]);
  });

  it('is what schemas/playbook.json holds (regenerate: nightshift schema playbook > schemas/playbook.json)', () => {
    expect(JSON.parse(readFileSync(join(ROOT, 'schemas', 'playbook.json'), 'utf8'))).toEqual(schema);
  });

  it('the example playbooks point editors at it with a modeline', () => {
    for (const f of EXAMPLES)
      expect(exampleText(`playbooks/${f}`).split('\n')[0]).toBe(
        '# yaml-language-server: $schema=../schemas/playbook.json',
      );
  });

  it('is served at /schemas/playbook.json; an unknown schema is a 400', async () => {
    const app = Fastify();
    schemaRoutes(app);
    const r = await app.inject({ url: '/schemas/playbook.json' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/schema\+json/);
    expect(r.json()).toEqual(schema);
    expect((await app.inject({ url: '/schemas/other.json' })).statusCode).toBe(400);
    await app.close();
  });
});

describe('the nightshift.yaml JSON Schema', () => {
  const org = orgSchema();
  const check = new Ajv({ allErrors: true }).compile(org);
  const problems = (doc: unknown) =>
    check(doc) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  const FILES = [
    'nightshift.yaml',
    ...readdirSync(join(ROOT, 'test', 'fixtures'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('nightshift.yaml'))
      .map((f) => `test/fixtures/${f}`),
  ];

  it.each(FILES)('accepts %s', (file) => {
    expect(problems(parse(exampleText(file)))).toEqual([]);
  });

  it('accepts every documented nightshift.yaml fragment', () => {
    for (const doc of [
      'README.md',
      'playbooks/README.md',
      ...readdirSync(join(ROOT, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ])
      for (const b of yamlBlocks(doc)) {
        const v = parse(b.text) as Record<string, unknown> | null;
        if (
          v &&
          typeof v === 'object' &&
          !Array.isArray(v) &&
          Object.keys(v).length &&
          Object.keys(v).every((k) =>
            ['calendars', 'people', 'rotations', 'groups', 'channels', 'policy'].includes(k),
          )
        )
          expect({ at: `${doc}:${b.line}`, errors: problems(v) }).toEqual({
            at: `${doc}:${b.line}`,
            errors: [],
          });
      }
  });

  const base = exampleText('nightshift.yaml');
  it.each([
    ['an unknown section', `${base}\nescalations: {}\n`],
    ['a person without a name', base.replace('ana: { name: Ana Ruiz,', 'ana: {')],
    ['a rotation without members', base.replace('    members: [dev, ben]\n', '')],
    ['a window that is not a window', base.replace("mon: '08:00-18:00'", "mon: '8 to 6'")],
    [
      'a channel of two kinds',
      base.replace(
        'soc-slack: { slack: { channel: C0SOC0001 } }',
        'soc-slack: { slack: { channel: C0SOC0001 }, email: { to: [a@b.c] } }',
      ),
    ],
    ['a rotation every month', base.replace('every: 1w # 1d', 'every: 1mo # 1d')],
    ['a limit of zero isolations', base.replace('count: 10', 'count: 0')],
    ['a name that is not a name', base.replace('  soc-leads: [ana, ben]', '  Soc Leads: [ana, ben]')],
  ])('rejects %s, as the compiler does', (_what, text) => {
    expect(text).not.toBe(base);
    expect(loadOrg('nightshift.yaml', text).org).toBeUndefined();
    expect(problems(parse(text))).not.toEqual([]);
  });

  it('is what schemas/org.json holds, is served, and nightshift.yaml carries its modeline', async () => {
    expect(JSON.parse(readFileSync(join(ROOT, 'schemas', 'org.json'), 'utf8'))).toEqual(org);
    expect(base.split('\n')[0]).toBe('# yaml-language-server: $schema=schemas/org.json');
    const app = Fastify();
    schemaRoutes(app);
    expect((await app.inject({ url: '/schemas/org.json' })).json()).toEqual(org);
    await app.close();
  });
});
