import { compilePlaybook, loadOrg } from '../../../compiler';
import { canonicalJson } from '../../../compiler/hash';
import { exampleOrg, exampleText } from './helpers';

const org = exampleOrg();
const text = exampleText('playbooks/contain-confirmed-threat.yaml');
const hashOf = (t: string, file = 'a.yaml'): string | undefined =>
  compilePlaybook(file, t, org).playbook?.hash;

describe('IR hash', () => {
  test('same YAML, same hash; the file name does not count', () => {
    expect(hashOf(text)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashOf(text, 'b/other.yaml')).toBe(hashOf(text));
  });

  test('comment-only and whitespace-only edits keep the hash', () => {
    const edited = `# a new header comment\n\n${text.replace('steps:', 'steps:   # the steps\n')}`.replace(
      /\n/g,
      '\n\n',
    );
    expect(edited).not.toBe(text);
    expect(hashOf(edited)).toBe(hashOf(text));
  });

  test('a change of meaning changes the hash', () => {
    expect(hashOf(text.replace('timeout: 15m', 'timeout: 16m'))).not.toBe(hashOf(text));
    expect(hashOf(text.replace('version: 3', 'version: 4'))).not.toBe(hashOf(text));
  });

  test('the IR is JSON-serialisable and round-trips', () => {
    const pb = compilePlaybook('a.yaml', text, org).playbook;
    expect(JSON.parse(JSON.stringify(pb))).toEqual(pb);
    expect(pb?.irVersion).toBe(1);
  });

  test('org hash ignores comments and key order', () => {
    const a = loadOrg('o.yaml', 'people:\n  ana: { name: Ana, slack: U1 }\n').org?.hash;
    const b = loadOrg('o.yaml', '# c\npeople:\n  ana:\n    slack: U1 # s\n    name: Ana\n').org?.hash;
    expect(a).toBeDefined();
    expect(b).toBe(a);
  });

  test('canonical JSON sorts keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 1, e: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"e":2,"f":1}]},"b":1}',
    );
  });
});
