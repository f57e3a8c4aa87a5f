// KQL literals for every value a playbook puts into a hunting query (issue 15 §3). No hunting API binds
// parameters (reference §15.7, §15.9 gotcha 18), so Nightshift writes each value as a KQL literal itself.
// Raw splicing is impossible by construction: a hunt request carries the playbook's query text and the
// values *separately* (KqlTemplate), and kqlQuery() — the only code that joins them — quotes every value.
//
// String literals follow the documented rules (Kusto "string data type"): double quotes, with `\"` and
// `\\` escaped by a backslash. Any string holding a character that is not plainly printable (control
// characters, line/paragraph separators, bidirectional overrides, lone surrogates) is written as
// base64_decode_tostring("…") instead, whose literal is only [A-Za-z0-9+/=]: no escape rule is relied
// upon beyond the two documented ones, and nothing invisible reaches a query a person may read.
import type { KqlTemplate } from '../../core/defender-effects';

export type { KqlTemplate };

/** A value that cannot be written as a KQL literal (a map, a nested list, an over-long string). */
export class KqlValueError extends Error {
  override name = 'KqlValueError';
}

/** Longest string value accepted in a query (a hash is 64, a path at most 32,767 UTF-16 units). */
export const MAX_KQL_STRING = 32_767;
/** Longest query sent, after quoting (the Graph GET variant answers 414 for long ones; POST has no documented limit). */
export const MAX_KQL_QUERY = 100_000;
/** Most elements of one list value. */
export const MAX_KQL_LIST = 1_000;

// Characters written only through base64: C0/C1 controls, DEL, zero-width and bidi controls (Trojan
// Source), line/paragraph separators, BOM, and lone surrogates (the `u` flag matches only unpaired ones).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]/u;

function utf8Base64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

/** A KQL string literal whose value is exactly `s` (lone surrogates become U+FFFD, as UTF-8 requires). */
export function kqlString(s: string): string {
  if (s.length > MAX_KQL_STRING) {
    throw new KqlValueError(
      `a string of ${s.length} characters is too long for a query (at most ${MAX_KQL_STRING})`,
    );
  }
  if (UNSAFE.test(s)) return `base64_decode_tostring("${utf8Base64(s)}")`;
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function scalar(v: unknown, where: string): string {
  if (typeof v === 'string') return kqlString(v);
  if (typeof v === 'bigint') return `long(${v.toString()})`;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'real(nan)';
    if (v === Infinity) return 'real(+inf)';
    if (v === -Infinity) return 'real(-inf)';
    // String(v) of a finite number is digits, '.', '-', 'e' and '+' only.
    return Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER
      ? `long(${v})`
      : `real(${String(v)})`;
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null || v === undefined) return 'dynamic(null)';
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new KqlValueError(`${where} is an invalid timestamp`);
    return `datetime(${v.toISOString()})`;
  }
  throw new KqlValueError(
    `${where} is ${Array.isArray(v) ? 'a nested list' : 'a map'}, which has no KQL literal`,
  );
}

/**
 * One value as KQL. Scalars become literals (`"text"`, `long(42)`, `real(1.5)`, `true`, `datetime(…)`,
 * `dynamic(null)`); a list becomes its elements' literals separated by commas, for use inside
 * parentheses — `| where SHA1 in (${{ hashes }})` — and an empty list `dynamic([])`, so that
 * `in (dynamic([]))` stays valid and matches nothing.
 */
export function kqlLiteral(v: unknown, where = 'the value'): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return 'dynamic([])';
    if (v.length > MAX_KQL_LIST) {
      throw new KqlValueError(`${where} is a list of ${v.length} elements (at most ${MAX_KQL_LIST})`);
    }
    return v.map((x, i) => scalar(x, `${where}[${i}]`)).join(', ');
  }
  return scalar(v, where);
}

/** The query text with every hole written as a KQL literal. */
export function kqlQuery(t: KqlTemplate): string {
  if (!Array.isArray(t?.text) || !Array.isArray(t.values) || t.text.length !== t.values.length + 1) {
    throw new KqlValueError('a hunt query must have one more text part than values');
  }
  let out = t.text[0];
  for (let i = 0; i < t.values.length; i++) {
    out += kqlLiteral(t.values[i], `value ${i + 1} of the query`) + t.text[i + 1];
    if (out.length > MAX_KQL_QUERY) break;
  }
  if (out.length > MAX_KQL_QUERY) {
    throw new KqlValueError(
      `the query is longer than ${MAX_KQL_QUERY} characters once its values are written`,
    );
  }
  return out;
}

/**
 * The query with a row limit: one row more than wanted is asked for, so a result that was cut can be
 * told from one that was not. The operator goes on a line of its own, after any trailing `//` comment.
 */
export function withRowLimit(query: string, limit: number): string {
  // Trailing whitespace and statement separators go: `…;\n| take` would not parse.
  return `${query.replace(/[\s;]+$/, '')}\n| take ${limit + 1}`;
}
