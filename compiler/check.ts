// Load-time checking of CEL conditions and `${{ }}` templates: parse, resolve step and calendar/rotation
// names, type-check, and map every error to file:line:col.
import type { Environment } from '@marcbachmann/cel-js';
import type { Node } from 'yaml';
import type { Expr, Template } from '../core/ir';
import { collectRefs } from '../engine/expr/refs';
import { splitTemplate, TemplateSyntaxError } from './template';
import { MAX_EXPR_LENGTH } from '../engine/expr/types';
import { didYouMean } from './suggest';
import type { Walker } from './walk';

/** What an expression may name: earlier steps, and the org's calendars and rotations. */
export interface Scope {
  env: Environment;
  /** Step ids before the referring step, in order. */
  earlier: readonly string[];
  /** Every step id of the playbook (to tell "unknown" from "not before"). */
  all: readonly string[];
  /** The referring step, for messages. */
  self?: string;
  calendars: readonly string[];
  rotations: readonly string[];
}

/** Expected result type: a type name, or 'any'. 'list' accepts any list type. */
export type Want = 'bool' | 'list' | 'timestamp' | 'any';

const TYPE_NAMES: Record<string, string> = { 'google.protobuf.Timestamp': 'timestamp' };
const pretty = (t: string): string => TYPE_NAMES[t] ?? t;

export class ExprChecker {
  constructor(private readonly w: Walker) {}

  /**
   * Checks one expression whose source starts at character `base` of the scalar `node`. Returns the IR
   * expression even on failure (the caller discards the IR when the reporter failed).
   */
  checkAt(src: string, node: Node | null, base: number, scope: Scope, want: Want, what: string): Expr {
    const off = (i: number): number => this.w.offsetIn(node, base + i);
    const expr: Expr = { src, at: this.w.rep.at(off(0)) };
    if (src.length > MAX_EXPR_LENGTH) {
      this.w.rep.error(
        off(0),
        `${what}: expression is ${src.length} characters; the limit is ${MAX_EXPR_LENGTH}`,
      );
      return expr;
    }
    let parsed;
    try {
      parsed = scope.env.parse(src);
    } catch (e) {
      const err = e as { message?: string; range?: { start: number } };
      this.w.rep.error(off(err.range?.start ?? 0), `${what}: ${celMessage(err.message)}`);
      return expr;
    }
    const refs = collectRefs(parsed.ast);
    let refsOk = true;
    for (const r of refs.steps) {
      if (scope.earlier.includes(r.id)) continue;
      refsOk = false;
      if (scope.all.includes(r.id)) {
        const self = scope.self ? `step '${scope.self}'` : 'this expression';
        const rel = r.id === scope.self ? 'its own result' : `step '${r.id}', which is not before it`;
        this.w.rep.error(off(r.start), `${what}: ${self} reads ${rel}; only earlier steps can be read`);
      } else {
        this.w.rep.error(off(r.start), `${what}: unknown step '${r.id}'${didYouMean(r.id, scope.earlier)}`);
      }
    }
    for (const s of refs.bareSteps) {
      refsOk = false;
      this.w.rep.error(off(s), `${what}: 'steps' must be followed by a step id: steps.<id> or steps['<id>']`);
    }
    for (const n of refs.names) {
      const known = n.fn === 'calendar' ? scope.calendars : scope.rotations;
      const kind = n.fn === 'calendar' ? 'calendar' : 'rotation';
      if (n.name === null) {
        refsOk = false;
        this.w.rep.error(off(n.start), `${what}: ${n.fn}() takes a ${kind} name as a string literal`);
      } else if (!known.includes(n.name)) {
        refsOk = false;
        this.w.rep.error(off(n.start), `${what}: unknown ${kind} '${n.name}'${didYouMean(n.name, known)}`);
      }
    }
    if (!refsOk) return expr;
    const res = parsed.check();
    if (!res.valid) {
      const err = res.error as { message?: string; range?: { start: number } } | undefined;
      this.w.rep.error(off(err?.range?.start ?? 0), `${what}: ${celMessage(err?.message)}`);
      return expr;
    }
    const type = res.type ?? 'dyn';
    const ok =
      want === 'any' || type === 'dyn' || (want === 'list' ? type.startsWith('list') : pretty(type) === want);
    if (!ok)
      this.w.rep.error(off(0), `${what} must be ${article(want)}, but '${src}' is ${article(pretty(type))}`);
    return expr;
  }

  /** A whole scalar as one expression. */
  expr(node: Node | null, at: number, scope: Scope, want: Want, what: string): Expr | null {
    const src = this.w.str(node ? { key: what, keyAt: at, value: node } : undefined, what);
    if (src === null) {
      if (!node) this.w.rep.error(at, `${what} is empty`);
      return null;
    }
    const lead = src.length - src.trimStart().length;
    const trimmed = src.trim();
    if (!trimmed) {
      this.w.rep.error(this.w.pos(node, at), `${what} is empty`);
      return null;
    }
    return this.checkAt(trimmed, node, lead, scope, want, what);
  }

  /** A `${{ }}` template in a string scalar. */
  template(node: Node | null, at: number, scope: Scope, what: string): Template | null {
    const s = this.w.str(node ? { key: what, keyAt: at, value: node } : undefined, what);
    if (s === null) {
      if (!node) this.w.rep.error(at, `${what} is empty`);
      return null;
    }
    return this.templateOf(s, node, scope, what);
  }

  templateOf(s: string, node: Node | null, scope: Scope, what: string): Template | null {
    const t: Template = { parts: [], at: this.w.rep.at(this.w.offsetIn(node, 0)) };
    try {
      for (const p of splitTemplate(s)) {
        if (p.text !== undefined) t.parts.push(p.text);
        else t.parts.push(this.checkAt(p.expr ?? '', node, p.offset, scope, 'any', what));
      }
    } catch (e) {
      if (e instanceof TemplateSyntaxError) {
        this.w.rep.error(this.w.offsetIn(node, e.offset), `${what}: ${e.message}`);
        return null;
      }
      throw e;
    }
    return t;
  }
}

function article(t: string): string {
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

/** cel-js messages carry a source excerpt after the first line; we give the position ourselves. */
function celMessage(m: string | undefined): string {
  const first = (m ?? 'invalid expression').split('\n')[0];
  const v = /^Unknown variable: (\S+)$/.exec(first);
  if (v)
    return `unknown variable '${v[1]}'${didYouMean(v[1], ['detection', 'device', 'item', 'steps', 'playbook', 'now'])}`;
  const k = /^No such key: (\S+)$/.exec(first);
  if (k) return `no field '${k[1]}'`;
  return first;
}
