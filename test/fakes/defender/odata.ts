// A small OData $filter evaluator for the fake: the subset the reference lists (eq ne gt ge lt le,
// and, or, in (...), startswith(field,'x')), string literals in single quotes, unquoted datetimes, numbers,
// null. Anything else is a 400 ODataError, as the real API answers malformed queries.

export class ODataError extends Error {}

type Tok = { t: 'ident' | 'str' | 'num' | 'dt' | 'op' | 'lp' | 'rp' | 'comma'; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(') {
      out.push({ t: 'lp', v: c });
      i++;
    } else if (c === ')') {
      out.push({ t: 'rp', v: c });
      i++;
    } else if (c === ',') {
      out.push({ t: 'comma', v: c });
      i++;
    } else if (c === "'") {
      let j = i + 1;
      let v = '';
      for (;;) {
        if (j >= src.length) throw new ODataError('unterminated string literal');
        if (src[j] === "'") {
          if (src[j + 1] === "'") {
            v += "'";
            j += 2;
            continue;
          }
          break;
        }
        v += src[j++];
      }
      out.push({ t: 'str', v });
      i = j + 1;
    } else {
      const m = /^(\d{4}-\d{2}-\d{2}(T[\d:.]+)?Z?)|^(-?\d+(\.\d+)?)|^([A-Za-z_][A-Za-z0-9_.]*)/.exec(
        src.slice(i),
      );
      if (!m) throw new ODataError(`unexpected '${c}' at ${i}`);
      if (m[1]) out.push({ t: 'dt', v: m[1] });
      else if (m[3]) out.push({ t: 'num', v: m[3] });
      else {
        const w = m[5];
        out.push({ t: /^(eq|ne|gt|ge|lt|le|and|or|in)$/i.test(w) ? 'op' : 'ident', v: w });
      }
      i += m[0].length;
    }
  }
  return out;
}

export type Pred = (e: Record<string, unknown>) => boolean;

/** Fractional seconds padded to 7 digits so ISO strings compare in time order. */
export function normIso(s: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,7}))?)?Z?$/.exec(s);
  if (!m) return s;
  const time = m[2] ? (m[2].length === 5 ? `${m[2]}:00` : m[2]) : '00:00:00';
  return `${m[1]}T${time}.${(m[3] ?? '').padEnd(7, '0')}Z`;
}

type Lit = string | number | null | { dt: string };

function cmp(a: unknown, b: Lit): number | undefined {
  if (a === null || a === undefined || b === null) return undefined;
  if (typeof b === 'object')
    return typeof a === 'string' ? normIso(a).localeCompare(normIso(b.dt)) : undefined;
  if (typeof b === 'number') return typeof a === 'number' ? a - b : undefined;
  return typeof a === 'string' ? (a < b ? -1 : a > b ? 1 : 0) : undefined;
}

function eq(a: unknown, b: Lit): boolean {
  if (b === null) return a === null || a === undefined;
  if (typeof b === 'object') return typeof a === 'string' && normIso(a) === normIso(b.dt);
  if (typeof b === 'string' && typeof a === 'string') return a.toLowerCase() === b.toLowerCase(); // OData enums compare case-insensitively in practice
  return a === b;
}

export function parseFilter(src: string, fields: readonly string[]): Pred {
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const next = () => {
    const t = toks[p++];
    if (!t) throw new ODataError('unexpected end of $filter');
    return t;
  };
  const field = (name: string) => {
    const f = fields.find((x) => x.toLowerCase() === name.toLowerCase());
    if (!f) throw new ODataError(`Could not find a property named '${name}'`);
    return f;
  };
  const literal = (): Lit => {
    const t = next();
    if (t.t === 'str') return t.v;
    if (t.t === 'num') return Number(t.v);
    if (t.t === 'dt') return { dt: t.v };
    if (t.t === 'ident' && t.v === 'null') return null;
    throw new ODataError(`expected a literal, got '${t.v}'`);
  };
  const term = (): Pred => {
    const t = next();
    if (t.t === 'lp') {
      const inner = expr();
      if (next().t !== 'rp') throw new ODataError('expected )');
      return inner;
    }
    if (t.t === 'ident' && t.v.toLowerCase() === 'startswith') {
      if (next().t !== 'lp') throw new ODataError('expected (');
      const f = field(next().v);
      if (next().t !== 'comma') throw new ODataError('expected ,');
      const v = literal();
      if (next().t !== 'rp') throw new ODataError('expected )');
      return (e) =>
        typeof e[f] === 'string' &&
        typeof v === 'string' &&
        (e[f] as string).toLowerCase().startsWith(v.toLowerCase());
    }
    if (t.t !== 'ident') throw new ODataError(`expected a property, got '${t.v}'`);
    const f = field(t.v);
    const op = next();
    if (op.t !== 'op') throw new ODataError(`expected an operator after ${t.v}`);
    const o = op.v.toLowerCase();
    if (o === 'in') {
      if (next().t !== 'lp') throw new ODataError('expected ( after in');
      const vals: Lit[] = [literal()];
      while (peek()?.t === 'comma') {
        next();
        vals.push(literal());
      }
      if (next().t !== 'rp') throw new ODataError('expected )');
      return (e) => vals.some((v) => eq(e[f], v));
    }
    const v = literal();
    switch (o) {
      case 'eq':
        return (e) => eq(e[f], v);
      case 'ne':
        return (e) => !eq(e[f], v);
      case 'gt':
        return (e) => (cmp(e[f], v) ?? -1) > 0;
      case 'ge':
        return (e) => (cmp(e[f], v) ?? -1) >= 0;
      case 'lt':
        return (e) => (cmp(e[f], v) ?? 1) < 0;
      case 'le':
        return (e) => (cmp(e[f], v) ?? 1) <= 0;
      default:
        throw new ODataError(`unsupported operator ${op.v}`);
    }
  };
  const conj = (): Pred => {
    let left = term();
    while (peek()?.t === 'op' && peek()!.v.toLowerCase() === 'and') {
      next();
      const l = left;
      const r = term();
      left = (e) => l(e) && r(e);
    }
    return left;
  };
  // `and` binds tighter than `or`, as in OData.
  const expr = (): Pred => {
    let left = conj();
    while (peek()?.t === 'op' && peek()!.v.toLowerCase() === 'or') {
      next();
      const l = left;
      const r = conj();
      left = (e) => l(e) || r(e);
    }
    return left;
  };
  const pred = expr();
  if (p !== toks.length) throw new ODataError(`unexpected '${toks[p].v}'`);
  return pred;
}
