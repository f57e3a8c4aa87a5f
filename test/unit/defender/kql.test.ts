// Every value a playbook puts into a hunting query is a KQL literal (issue 15 §3): hostile values from a
// detection cannot change the query's structure. Checked with a tokenizer that follows the documented
// literal forms, and by running the query on the fake's evaluator: only the row whose column holds the
// hostile value exactly matches.
import {
  KqlValueError,
  kqlLiteral,
  kqlQuery,
  kqlString,
  withRowLimit,
  type KqlTemplate,
} from '../../../integrations/defender/kql';
import { kqlStringValues, runKql, tokenizeKql } from '../../fakes/defender/kql';

const HOSTILE: string[] = [
  '"',
  '\\',
  '\\"',
  '" or 1==1 or SHA1 == "',
  '") | project AccountName, AccountSid //',
  "' | where true | project-away * ; DeviceLogonEvents | take 1000 //",
  'abc"\n| union DeviceLogonEvents',
  'line1\r\nline2',
  '\u0000nul',
  'tab\there',
  '\u2028paragraph\u2029',
  '\u202eevil.exe\u202c', // right-to-left override (Trojan Source)
  'zero\u200bwidth',
  'lone \ud800 surrogate',
  '```multi```',
  '@"verbatim"',
  "h'obfuscated'",
  '// comment',
  '/* block */',
  '$(whoami)',
  '${{ detection.id }}',
  'C:\\Users\\jdoe\\AppData\\Local\\Temp\\x.exe',
  'Проект «x».exe',
  '😈.exe',
  ' trailing space ',
  '',
  'x'.repeat(5000),
];

function template(v: unknown): KqlTemplate {
  return { text: ['DeviceFileEvents | where SHA1 == ', ' | project DeviceId, SHA1'], values: [v] };
}

describe('kqlQuery quotes every value as a KQL literal', () => {
  const benign = tokenizeKql(kqlQuery(template('abc')));

  it.each(HOSTILE.map((h) => [JSON.stringify(h).slice(0, 60), h]))(
    'hostile value %s stays one literal',
    (_label, hostile) => {
      const q = kqlQuery(template(hostile));
      const toks = tokenizeKql(q);
      const isB64 = toks.some((t) => t.t === 'ident' && t.v === 'base64_decode_tostring');
      // The query's shape is the benign one's: the same tokens around one literal (or one decode call).
      expect(toks.length).toBe(benign.length + (isB64 ? 3 : 0));
      expect(toks.slice(0, 5).map((t) => t.raw)).toEqual(benign.slice(0, 5).map((t) => t.raw));
      expect(toks.slice(-5).map((t) => t.raw)).toEqual(benign.slice(-5).map((t) => t.raw));
      // …and that literal decodes to the value (lone surrogates become U+FFFD, as in any UTF-8 text).
      expect(kqlStringValues(q)).toEqual([Buffer.from(hostile, 'utf8').toString('utf8')]);
      // No line break, control or invisible character reaches the query text.
      // eslint-disable-next-line no-control-regex -- the characters that must not appear
      expect(q).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u2028\u2029\u202e\u200b]/);
    },
  );

  it('matches exactly the row holding the hostile value', () => {
    for (const hostile of HOSTILE) {
      // Hunting data is UTF-8: a lone surrogate cannot be stored, its U+FFFD form can.
      const stored = Buffer.from(hostile, 'utf8').toString('utf8');
      const rows = [
        { DeviceId: 'a', SHA1: stored },
        { DeviceId: 'b', SHA1: 'abc' },
        { DeviceId: 'c', SHA1: stored === '' ? 'x' : '' },
      ];
      const out = runKql(kqlQuery(template(hostile)), { DeviceFileEvents: rows });
      expect(out.rows).toEqual([{ DeviceId: 'a', SHA1: stored }]);
    }
  });

  it('plain printable values stay readable: only quote and backslash are escaped', () => {
    expect(kqlString('x.exe')).toBe('"x.exe"');
    expect(kqlString('C:\\Temp\\"x".exe')).toBe('"C:\\\\Temp\\\\\\"x\\".exe"');
    expect(kqlString("it's")).toBe('"it\'s"');
    expect(kqlString('a\nb')).toBe(`base64_decode_tostring("${Buffer.from('a\nb').toString('base64')}")`);
  });

  it('writes numbers, booleans, timestamps and null as literals', () => {
    expect(kqlLiteral(42)).toBe('long(42)');
    expect(kqlLiteral(-7n)).toBe('long(-7)');
    expect(kqlLiteral(1.5)).toBe('real(1.5)');
    expect(kqlLiteral(1e21)).toBe('real(1e+21)');
    expect(kqlLiteral(NaN)).toBe('real(nan)');
    expect(kqlLiteral(-Infinity)).toBe('real(-inf)');
    expect(kqlLiteral(true)).toBe('true');
    expect(kqlLiteral(null)).toBe('dynamic(null)');
    expect(kqlLiteral(new Date('2026-11-22T03:01:07Z'))).toBe('datetime(2026-11-22T03:01:07.000Z)');
  });

  it('writes a list as its literals for `in (…)`, and an empty list so that it matches nothing', () => {
    const q = (v: unknown) =>
      kqlQuery({ text: ['DeviceFileEvents | where SHA1 in (', ') | project DeviceId'], values: [v] });
    const rows = [
      { DeviceId: 'a', SHA1: 'x"y' },
      { DeviceId: 'b', SHA1: 'z' },
    ];
    expect(q(['x"y', 'q'])).toContain('in ("x\\"y", "q")');
    expect(runKql(q(['x"y', 'q']), { DeviceFileEvents: rows }).rows).toEqual([{ DeviceId: 'a' }]);
    expect(q([])).toContain('in (dynamic([]))');
    expect(runKql(q([]), { DeviceFileEvents: rows }).rows).toEqual([]);
  });

  it('refuses values that have no literal, naming which', () => {
    expect(() => kqlQuery({ text: ['T | where x == ', ''], values: [{ a: 1 }] })).toThrow(
      new KqlValueError('value 1 of the query is a map, which has no KQL literal'),
    );
    expect(() => kqlQuery({ text: ['T | where x in (', ')'], values: [[['a']]] })).toThrow(
      /value 1 of the query\[0\] is a nested list/,
    );
    expect(() => kqlString('x'.repeat(40_000))).toThrow(/too long/);
    expect(() => kqlQuery({ text: ['T'], values: ['stray'] })).toThrow(/one more text part than values/);
  });

  it('a row limit goes on its own line, after a trailing comment or separator', () => {
    const q = withRowLimit('DeviceProcessEvents | where x == "a" // note;\n  ;  ', 100);
    expect(q).toBe('DeviceProcessEvents | where x == "a" // note\n| take 101');
    expect(
      runKql(q, { DeviceProcessEvents: Array.from({ length: 300 }, () => ({ x: 'a' })) }).rows,
    ).toHaveLength(101);
  });
});
