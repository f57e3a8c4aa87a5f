// A small KQL front end for the fake's hunting endpoints and for tests: a tokenizer that follows the
// documented string-literal forms (double/single quotes with backslash escapes, @verbatim with doubled
// quotes, h-obfuscated, ``` multi-line), and an evaluator for the subset hunting playbooks use:
//
//   Table | where <cond> | project a, b | distinct a, b | summarize by a, b | take N | limit N
//         | order by a [asc|desc]
//   cond: comparisons (== != =~ !~ has contains startswith endswith), in / !in / in~ (…), and/or, (…)
//   literals: strings, long(n), real(x), numbers, true/false, datetime(…), dynamic(null), dynamic([]),
//             base64_decode_tostring("…")
//
// Anything else is a KqlSyntaxError (the real service answers 400 for a query it cannot parse); what the
// fake does not implement says so, so a test never mistakes a fake limit for a real error.

export class KqlSyntaxError extends Error {
  override name = 'KqlSyntaxError';
}

export type KqlToken =
  | { t: 'str'; v: string; raw: string }
  | { t: 'num'; v: number; raw: string }
  | { t: 'ident'; v: string; raw: string }
  | { t: 'op'; v: string; raw: string };

const OPS = [
  '==',
  '!=',
  '=~',
  '!~',
  '<=',
  '>=',
  '|',
  '(',
  ')',
  ',',
  '[',
  ']',
  '<',
  '>',
  ';',
  '=',
  '-',
  '.',
  '!',
  '~',
  '+',
  ':',
];

export function tokenizeKql(src: string): KqlToken[] {
  const out: KqlToken[] = [];
  let i = 0;
  const quoted = (start: number, q: string, verbatim: boolean): [string, number] => {
    let j = start;
    let v = '';
    for (;;) {
      if (j >= src.length) throw new KqlSyntaxError(`unterminated string literal at ${start}`);
      const c = src[j];
      if (verbatim) {
        if (c === q) {
          if (src[j + 1] === q) {
            v += q;
            j += 2;
            continue;
          }
          return [v, j + 1];
        }
      } else {
        if (c === '\\') {
          const e = src[j + 1];
          const map: Record<string, string> = { '\\': '\\', '"': '"', "'": "'", n: '\n', t: '\t', r: '\r' };
          if (e === undefined || !(e in map)) throw new KqlSyntaxError(`bad escape \\${e ?? ''} at ${j}`);
          v += map[e];
          j += 2;
          continue;
        }
        if (c === q) return [v, j + 1];
      }
      // The documented rule: a newline cannot be part of a (non-multi-line) literal without escaping.
      if (c === '\n' || c === '\r') throw new KqlSyntaxError(`newline inside a string literal at ${j}`);
      v += c;
      j += 1;
    }
  };
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (src.startsWith('//', i)) {
      const nl = src.indexOf('\n', i);
      i = nl < 0 ? src.length : nl + 1;
      continue;
    }
    if (src.startsWith('```', i)) {
      const end = src.indexOf('```', i + 3);
      if (end < 0) throw new KqlSyntaxError(`unterminated multi-line string at ${i}`);
      out.push({ t: 'str', v: src.slice(i + 3, end), raw: src.slice(i, end + 3) });
      i = end + 3;
      continue;
    }
    // Prefixes: @ verbatim, h/H obfuscated (same value), h@ both.
    const pre = /^(h@|H@|@|h|H)(?=["'])/.exec(src.slice(i));
    if (pre || c === '"' || c === "'") {
      const p = pre?.[0] ?? '';
      const q = src[i + p.length];
      const [v, end] = quoted(i + p.length + 1, q, p.includes('@'));
      out.push({ t: 'str', v, raw: src.slice(i, end) });
      i = end;
      continue;
    }
    const num = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: Number(num[0]), raw: num[0] });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'ident', v: id[0], raw: id[0] });
      i += id[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      out.push({ t: 'op', v: op, raw: op });
      i += op.length;
      continue;
    }
    throw new KqlSyntaxError(`unexpected character '${c}' at ${i}`);
  }
  return out;
}

export type Row = Record<string, unknown>;
type Value = unknown;
type Pred = (r: Row) => boolean;

class Parser {
  private p = 0;
  constructor(private readonly toks: KqlToken[]) {}
  peek(): KqlToken | undefined {
    return this.toks[this.p];
  }
  next(): KqlToken {
    const t = this.toks[this.p++];
    if (!t) throw new KqlSyntaxError('unexpected end of query');
    return t;
  }
  done(): boolean {
    return this.p >= this.toks.length;
  }
  isOp(v: string): boolean {
    const t = this.peek();
    return t?.t === 'op' && t.v === v;
  }
  isWord(v: string): boolean {
    const t = this.peek();
    return t?.t === 'ident' && t.v.toLowerCase() === v;
  }
  expectOp(v: string): void {
    const t = this.next();
    if (t.t !== 'op' || t.v !== v) throw new KqlSyntaxError(`expected '${v}', got '${t.raw}'`);
  }
  ident(): string {
    const t = this.next();
    if (t.t !== 'ident') throw new KqlSyntaxError(`expected a name, got '${t.raw}'`);
    return t.v;
  }
  names(): string[] {
    const out = [this.ident()];
    while (this.isOp(',')) {
      this.next();
      out.push(this.ident());
    }
    return out;
  }

  /** A literal, or undefined when the next token starts a column reference. */
  literal(): { v: Value } | undefined {
    const t = this.peek();
    if (!t) throw new KqlSyntaxError('unexpected end of query');
    if (t.t === 'str') {
      this.next();
      return { v: t.v };
    }
    if (t.t === 'num') {
      this.next();
      return { v: t.v };
    }
    if (t.t === 'op' && t.v === '-') {
      this.next();
      const n = this.next();
      if (n.t !== 'num') throw new KqlSyntaxError(`expected a number after '-'`);
      return { v: -n.v };
    }
    if (t.t !== 'ident') return undefined;
    const w = t.v;
    if (w === 'true' || w === 'false') {
      this.next();
      return { v: w === 'true' };
    }
    const fn = this.toks[this.p + 1];
    if (!(fn?.t === 'op' && fn.v === '(')) return undefined;
    switch (w) {
      case 'long':
      case 'int':
      case 'real': {
        this.next();
        this.next();
        const inner = this.rawUntilClose();
        const v =
          inner === 'nan' ? NaN : inner === '+inf' ? Infinity : inner === '-inf' ? -Infinity : Number(inner);
        if (Number.isNaN(v) && inner !== 'nan') throw new KqlSyntaxError(`bad ${w} literal ${inner}`);
        return { v };
      }
      case 'datetime': {
        this.next();
        this.next();
        const inner = this.rawUntilClose();
        const ms = Date.parse(inner);
        if (Number.isNaN(ms)) throw new KqlSyntaxError(`bad datetime literal ${inner}`);
        return { v: new Date(ms).toISOString() };
      }
      case 'dynamic': {
        this.next();
        this.next();
        const inner = this.rawUntilClose();
        if (inner === 'null') return { v: null };
        if (inner === '[]') return { v: [] };
        throw new KqlSyntaxError(`dynamic(${inner}) is not supported by the fake`);
      }
      case 'base64_decode_tostring': {
        this.next();
        this.next();
        const s = this.next();
        if (s.t !== 'str') throw new KqlSyntaxError('base64_decode_tostring takes a string literal');
        this.expectOp(')');
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s.v)) throw new KqlSyntaxError('invalid base64');
        return { v: Buffer.from(s.v, 'base64').toString('utf8') };
      }
      default:
        throw new KqlSyntaxError(`function ${w}() is not supported by the fake`);
    }
  }

  /** The raw text of tokens up to the matching ')' (consumed). */
  private rawUntilClose(): string {
    let s = '';
    for (;;) {
      const t = this.next();
      if (t.t === 'op' && t.v === ')') return s;
      s += t.raw;
    }
  }

  operand(): (r: Row) => Value {
    const lit = this.literal();
    if (lit) return () => lit.v;
    const name = this.ident();
    return (r) => r[name];
  }

  list(): Value[] {
    this.expectOp('(');
    const vals: Value[] = [];
    if (!this.isOp(')')) {
      for (;;) {
        const lit = this.literal();
        if (!lit) throw new KqlSyntaxError('in (…) takes literals');
        if (Array.isArray(lit.v)) vals.push(...(lit.v as Value[]));
        else vals.push(lit.v);
        if (!this.isOp(',')) break;
        this.next();
      }
    }
    this.expectOp(')');
    return vals;
  }

  term(): Pred {
    if (this.isOp('(')) {
      this.next();
      const inner = this.cond();
      this.expectOp(')');
      return inner;
    }
    const left = this.operand();
    const t = this.next();
    let negate = false;
    let cmp = t.t === 'op' ? t.v : t.t === 'ident' ? t.v.toLowerCase() : t.raw;
    if (cmp === '!') {
      negate = true;
      const w = this.next();
      cmp = w.t === 'ident' ? w.v.toLowerCase() : w.raw;
      if (cmp !== 'in') throw new KqlSyntaxError(`unexpected '!${w.raw}'`);
    }
    if (cmp === 'in') {
      let ci = false;
      if (this.isOp('~')) {
        this.next();
        ci = true;
      }
      const vals = this.list();
      return (r) => vals.some((v) => eq(left(r), v, ci)) !== negate;
    }
    const right = this.operand();
    const str = (r: Row): [string, string] => [
      String(left(r) ?? '').toLowerCase(),
      String(right(r) ?? '').toLowerCase(),
    ];
    switch (cmp) {
      case '==':
        return (r) => eq(left(r), right(r), false);
      case '!=':
        return (r) => !eq(left(r), right(r), false);
      case '=~':
        return (r) => eq(left(r), right(r), true);
      case '!~':
        return (r) => !eq(left(r), right(r), true);
      case 'has':
      case 'contains':
        return (r) => str(r)[0].includes(str(r)[1]);
      case 'startswith':
        return (r) => str(r)[0].startsWith(str(r)[1]);
      case 'endswith':
        return (r) => str(r)[0].endsWith(str(r)[1]);
      default:
        throw new KqlSyntaxError(`operator '${t.raw}' is not supported by the fake`);
    }
  }

  conj(): Pred {
    let left = this.term();
    while (this.isWord('and')) {
      this.next();
      const l = left;
      const r = this.term();
      left = (row) => l(row) && r(row);
    }
    return left;
  }

  cond(): Pred {
    let left = this.conj();
    while (this.isWord('or')) {
      this.next();
      const l = left;
      const r = this.conj();
      left = (row) => l(row) || r(row);
    }
    return left;
  }
}

function eq(a: Value, b: Value, ci: boolean): boolean {
  if (typeof a === 'string' && typeof b === 'string')
    return ci ? a.toLowerCase() === b.toLowerCase() : a === b;
  return a === b;
}

function pick(rows: Row[], cols: string[]): Row[] {
  return rows.map((r) => Object.fromEntries(cols.map((c) => [c, r[c] ?? null])));
}

function distinct(rows: Row[], cols: string[]): Row[] {
  const seen = new Set<string>();
  const out: Row[] = [];
  for (const r of pick(rows, cols)) {
    const k = JSON.stringify(cols.map((c) => r[c]));
    if (!seen.has(k)) {
      seen.add(k);
      out.push(r);
    }
  }
  return out;
}

/** Runs a query of the supported subset over the fake's tables; unknown tables are a syntax error. */
export function runKql(query: string, tables: Record<string, Row[]>): { columns: string[]; rows: Row[] } {
  const ps = new Parser(tokenizeKql(query));
  const table = ps.ident();
  const src = Object.keys(tables).find((k) => k === table);
  if (!src) throw new KqlSyntaxError(`Failed to resolve table expression named '${table}'`);
  let rows = tables[src].map((r) => ({ ...r }));
  let columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  while (!ps.done()) {
    if (ps.isOp(';')) {
      ps.next();
      continue;
    }
    ps.expectOp('|');
    const op = ps.ident().toLowerCase();
    switch (op) {
      case 'where': {
        const pred = ps.cond();
        rows = rows.filter(pred);
        break;
      }
      case 'project':
        columns = ps.names();
        rows = pick(rows, columns);
        break;
      case 'distinct':
        columns = ps.names();
        rows = distinct(rows, columns);
        break;
      case 'summarize': {
        if (!ps.isWord('by')) throw new KqlSyntaxError('only `summarize by …` is supported by the fake');
        ps.next();
        columns = ps.names();
        rows = distinct(rows, columns);
        break;
      }
      case 'take':
      case 'limit': {
        const n = ps.next();
        if (n.t !== 'num' || !Number.isInteger(n.v)) throw new KqlSyntaxError(`${op} needs a whole number`);
        rows = rows.slice(0, n.v);
        break;
      }
      case 'order':
      case 'sort': {
        if (!ps.isWord('by')) throw new KqlSyntaxError(`${op} needs 'by'`);
        ps.next();
        const col = ps.ident();
        let desc = true; // KQL's default order is descending
        if (ps.isWord('asc') || ps.isWord('desc')) desc = ps.ident().toLowerCase() === 'desc';
        rows = [...rows].sort((a, b) => {
          const x = String(a[col] ?? '');
          const y = String(b[col] ?? '');
          return (x < y ? -1 : x > y ? 1 : 0) * (desc ? -1 : 1);
        });
        break;
      }
      default:
        throw new KqlSyntaxError(`operator '${op}' is not supported by the fake`);
    }
  }
  return { columns, rows };
}

/** The decoded values of every string literal of a query (base64_decode_tostring included), in order. */
export function kqlStringValues(query: string): string[] {
  const toks = tokenizeKql(query);
  const out: string[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.t !== 'str') continue;
    const fn = toks[i - 2];
    out.push(
      fn?.t === 'ident' && fn.v === 'base64_decode_tostring'
        ? Buffer.from(t.v, 'base64').toString('utf8')
        : t.v,
    );
  }
  return out;
}
