// Compiles a step's kind (`notify:`, `defender.isolate:`, …) through its entry in the step-kind table
// (compiler/step-kinds.ts): the keys it allows and requires, each value read and checked by its type,
// then the kind's IR built from the checked values. Every problem is reported at its key or value.
import { isMap, isScalar, isSeq } from 'yaml';
import type { Node, Pair } from 'yaml';
import { VIAS, type Via } from '../core/channels';
import type { OrgIR, Target, Template, TemplatedJson } from '../core/ir';
import type { ExprChecker, Scope } from './check';
import { duration } from './org';
import { unescapeEnvRefs } from './source';
import { STEP_KINDS, type KeySpec, type Values } from './step-kinds';
import { didYouMean } from './suggest';
import type { Entry, Walker } from './walk';
import type { StepKindIR } from '../core/ir';

export interface Ctx {
  w: Walker;
  chk: ExprChecker;
  org: OrgIR;
}

export function compileKind(
  ctx: Ctx,
  kind: string,
  ke: Entry,
  scope: Scope,
  stepWhat: string,
): StepKindIR | null {
  const { w } = ctx;
  const spec = STEP_KINDS[kind];
  const what = `${stepWhat}: ${kind}`;
  const keys = Object.keys(spec.keys);
  const required = keys.filter((k) => spec.keys[k].required);
  let m: Map<string, Entry> | null;
  if (spec.allowEmpty) {
    m =
      ke.value === null || (isScalar(ke.value) && ke.value.value === null)
        ? new Map<string, Entry>()
        : w.map(ke.value, what, ke.keyAt, keys, []);
    if (m) for (const r of required) if (!m.has(r)) w.rep.error(ke.keyAt, `${what} is missing '${r}'`);
  } else {
    m = w.map(ke.value, what, ke.keyAt, keys, required);
  }
  if (!m) return null;
  const one = spec.exactlyOne;
  if (one?.fatal && m.has(one.keys[0]) === m.has(one.keys[1])) {
    w.rep.error(ke.keyAt, `${what} ${one.message}`);
    return null;
  }

  const values: Values = {};
  // The keys given (Defender parameters in the document's order), then the defaults of templates not given.
  const given = m;
  const order = spec.allowEmpty ? [...given.keys()] : keys.filter((k) => given.has(k));
  for (const key of order) {
    const v = readValue(ctx, spec.keys[key], given.get(key), scope, `${what}.${key}`, values);
    if (spec.allowEmpty && v === null) continue; // a template that failed is left out (errors reported)
    values[key] = v;
  }
  for (const [key, ks] of Object.entries(spec.keys)) {
    if (ks.type === 'template' && ks.default !== undefined && !values[key]) {
      values[key] = ctx.chk.templateOf(ks.default, null, scope, `${what}.${key}`) ?? {
        parts: [ks.default],
        at: '',
      };
    }
  }
  if (one && !one.fatal && m.has(one.keys[0]) === m.has(one.keys[1]))
    w.rep.error(ke.keyAt, `${what} ${one.message}`);
  return spec.build(values);
}

/**
 * One key's value, checked by its type; null when it is wrong (the problem is reported). `step` holds the
 * values of the step's keys read so far (a list item's `below` compares with one of them).
 */
function readValue(
  ctx: Ctx,
  ks: KeySpec,
  e: Entry | undefined,
  scope: Scope,
  what: string,
  step: Values,
): unknown {
  const { w, chk } = ctx;
  switch (ks.type) {
    case 'template': {
      if (!e) return null;
      const t = chk.template(e.value, e.keyAt, scope, what);
      if (!t) return null;
      const literal = t.parts.length === 1 && typeof t.parts[0] === 'string' ? t.parts[0] : null;
      if (ks.enum && literal !== null && !ks.enum.includes(literal)) {
        w.rep.error(
          w.pos(e.value),
          `${what}: '${literal}' is not one of ${ks.enum.join(', ')}${didYouMean(literal, ks.enum)}`,
        );
      }
      if (
        ks.format === 'expires' &&
        literal !== null &&
        !/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(literal) &&
        !/^\d+[dwhms]/.test(literal)
      ) {
        w.rep.error(w.pos(e.value), `${what}: '${literal}' is neither a duration (30d) nor an ISO-8601 date`);
      }
      if (ks.format === 'http-url' && typeof t.parts[0] === 'string' && !/^https?:\/\//.test(t.parts[0])) {
        w.rep.error(w.pos(e.value), `${what} must start with http:// or https://`);
      }
      return t;
    }
    case 'duration':
      return duration(w, e, what);
    case 'timestamp-expr':
      return e ? chk.expr(e.value, e.keyAt, scope, 'timestamp', what) : null;
    case 'condition':
      return e ? chk.expr(e.value, e.keyAt, scope, 'bool', what) : null;
    case 'list':
      return list(ctx, ks, e, scope, what, step);
    case 'approvers':
      return approvers(ctx, e, what);
    case 'targets':
      return targets(ctx, e, what);
    case 'people-targets':
      return targets(ctx, e, what, true);
    case 'people':
      return people(ctx, e, what);
    case 'via':
      return viaList(w, e, what);
    case 'enum':
      return oneOf(w, e, what, ks.enum ?? []);
    case 'rotation': {
      const rotation = w.str(e, what);
      if (rotation !== null && !ctx.org.rotations[rotation]) {
        w.rep.error(
          w.pos(e?.value),
          `${what}: unknown rotation '${rotation}'${didYouMean(rotation, Object.keys(ctx.org.rotations))}`,
        );
      }
      return rotation;
    }
    case 'template-map': {
      const out: Record<string, Template> = {};
      for (const [k, x] of e ? (w.map(e.value, what, e.keyAt, null) ?? []) : []) {
        const t = chk.template(x.value, x.keyAt, scope, `${what}.${k}`);
        if (t) out[k] = t;
      }
      return out;
    }
    case 'templated-json':
      return e ? (templatedJson(ctx, e.value, scope, what) ?? null) : null;
    case 'count': {
      const n = w.int(e, what, ks.min ?? 0);
      if (n !== null && ks.max !== undefined && n > ks.max) {
        w.rep.error(w.pos(e?.value), `${what} must be at most ${ks.max}`);
        return null;
      }
      return n;
    }
    case 'template-list': {
      const items = w.seq(e, what);
      if (!items || !e) return null;
      const out: Template[] = [];
      items.forEach((n, i) => {
        const t = chk.template(n, w.pos(n, e.keyAt), scope, `${what}[${i}]`);
        if (t) out.push(t);
      });
      return out;
    }
  }
}

function oneOf(w: Walker, e: Entry | undefined, what: string, allowed: readonly string[]): string | null {
  const s = w.str(e, what);
  if (s === null) return null;
  if (!allowed.includes(s)) {
    w.rep.error(
      w.pos(e?.value),
      `${what}: '${s}' is not one of ${allowed.join(', ')}${didYouMean(s, allowed)}`,
    );
    return null;
  }
  return s;
}

/** Channels, people, groups and rotations, kept as named (expanded at run time: groups, the on-call). */
function targets(ctx: Ctx, e: Entry | undefined, what: string, noChannels = false): Target[] | null {
  const items = ctx.w.strList(e, what);
  if (!items) return null;
  const { channels, people, groups, rotations } = ctx.org;
  const out: Target[] = [];
  for (const it of items) {
    if (channels[it.v] && !noChannels) out.push({ type: 'channel', id: it.v });
    else if (people[it.v]) out.push({ type: 'person', id: it.v });
    else if (groups[it.v]) out.push({ type: 'group', id: it.v });
    else if (rotations[it.v]) out.push({ type: 'rotation', id: it.v });
    else {
      const known = [
        ...(noChannels ? [] : Object.keys(channels)),
        ...Object.keys(people),
        ...Object.keys(groups),
        ...Object.keys(rotations),
      ];
      const kinds = noChannels ? 'person, group or rotation' : 'channel, person, group or rotation';
      ctx.w.rep.error(it.at, `${what}: unknown ${kinds} '${it.v}'${didYouMean(it.v, known)}`);
    }
  }
  return out;
}

/** People and groups, expanded to person ids (deduplicated, in order). */
function people(ctx: Ctx, e: Entry | undefined, what: string): string[] | null {
  const items = ctx.w.strList(e, what);
  if (!items) return null;
  const out: string[] = [];
  for (const it of items) {
    const ids = ctx.org.groups[it.v] ?? (ctx.org.people[it.v] ? [it.v] : null);
    if (!ids) {
      const known = [...Object.keys(ctx.org.people), ...Object.keys(ctx.org.groups)];
      ctx.w.rep.error(it.at, `${what}: unknown person or group '${it.v}'${didYouMean(it.v, known)}`);
      continue;
    }
    for (const id of ids) if (!out.includes(id)) out.push(id);
  }
  return out;
}

/** Approvers: people and groups expanded to person ids, and rotations (resolved at run time) apart. */
function approvers(
  ctx: Ctx,
  e: Entry | undefined,
  what: string,
): { people: string[]; rotations: string[] } | null {
  const items = ctx.w.strList(e, what);
  if (!items) return null;
  const out = { people: [] as string[], rotations: [] as string[] };
  for (const it of items) {
    const ids = ctx.org.groups[it.v] ?? (ctx.org.people[it.v] ? [it.v] : null);
    if (ids) {
      for (const id of ids) if (!out.people.includes(id)) out.people.push(id);
    } else if (ctx.org.rotations[it.v]) {
      if (!out.rotations.includes(it.v)) out.rotations.push(it.v);
    } else {
      const known = [
        ...Object.keys(ctx.org.people),
        ...Object.keys(ctx.org.groups),
        ...Object.keys(ctx.org.rotations),
      ];
      ctx.w.rep.error(
        it.at,
        `${what}: unknown person, group or rotation '${it.v}'${didYouMean(it.v, known)}`,
      );
    }
  }
  return out;
}

/**
 * A list of mappings with the keys of `ks.items`, each value read by its type; null when an item is
 * broken (its problems are reported). Durations marked `increasing` / `below` are compared here.
 */
function list(
  ctx: Ctx,
  ks: KeySpec,
  e: Entry | undefined,
  scope: Scope,
  what: string,
  step: Values,
): Values[] | null {
  const { w } = ctx;
  const nodes = w.seq(e, what);
  if (!nodes || !e) return null;
  const specs = ks.items ?? {};
  const keys = Object.keys(specs);
  const required = keys.filter((k) => specs[k].required);
  const out: Values[] = [];
  let ok = true;
  const previous: Record<string, number> = {};
  nodes.forEach((node, i) => {
    const itemWhat = `${what}[${i}]`;
    const m = w.map(node, itemWhat, w.pos(node, e.keyAt), keys, required);
    if (!m || required.some((r) => !m.has(r))) {
      ok = false;
      return;
    }
    const item: Values = {};
    for (const [key, x] of m) {
      const spec = specs[key];
      const v = readValue(ctx, spec, x, scope, `${itemWhat}.${key}`, step);
      if (v === null) ok = false;
      else if (typeof v === 'number') {
        const prev = previous[key];
        const bound = spec.below ? step[spec.below] : undefined;
        if (spec.increasing && prev !== undefined && v <= prev) {
          w.rep.error(w.pos(x.value), `${itemWhat}.${key} must be later than the item before`);
          ok = false;
        } else if (typeof bound === 'number' && v >= bound) {
          w.rep.error(w.pos(x.value), `${itemWhat}.${key} must be less than '${spec.below}'`);
          ok = false;
        }
        previous[key] = v;
      }
      item[key] = v;
    }
    out.push(item);
  });
  return ok ? out : null;
}

function templatedJson(ctx: Ctx, n: Node | null, scope: Scope, what: string): TemplatedJson | undefined {
  const { w, chk } = ctx;
  const r = w.resolve(n);
  if (!r || (isScalar(r) && r.value === null)) return { t: 'literal', v: null };
  if (isScalar(r)) {
    const v = r.value;
    if (typeof v === 'string') {
      const s = unescapeEnvRefs(v);
      if (!s.includes('${{')) return { t: 'literal', v: s };
      const t = chk.templateOf(s, r, scope, what);
      return t ? { t: 'template', v: t } : undefined;
    }
    if (typeof v === 'number' || typeof v === 'boolean') return { t: 'literal', v };
    w.rep.error(w.pos(r), `${what}: unsupported value`);
    return undefined;
  }
  if (isSeq(r)) {
    const out: TemplatedJson[] = [];
    r.items.forEach((x, i) => {
      const j = templatedJson(ctx, w.resolve(x), scope, `${what}[${i}]`);
      if (j) out.push(j);
    });
    return { t: 'array', v: out };
  }
  if (isMap(r)) {
    const out: Array<[string, TemplatedJson]> = [];
    for (const p of r.items as Pair[]) {
      const k = w.resolve(p.key);
      if (!k || !isScalar(k) || typeof k.value !== 'string') {
        w.rep.error(w.pos(k, w.pos(r)), `${what}: keys must be strings`);
        continue;
      }
      const j = templatedJson(ctx, w.resolve(p.value), scope, `${what}.${k.value}`);
      if (j) out.push([k.value, j]);
    }
    return { t: 'object', v: out };
  }
  return undefined;
}

/** A `via` list (page, and the approval extension): known ways only, each once. */
function viaList(w: Walker, e: Entry | undefined, what: string): Via[] {
  const via = w.strList(e, what) ?? [];
  for (const v of via) {
    if (!(VIAS as readonly string[]).includes(v.v)) {
      w.rep.error(v.at, `${what}: '${v.v}' is not one of ${VIAS.join(', ')}${didYouMean(v.v, [...VIAS])}`);
    }
  }
  return [...new Set(via.map((v) => v.v))].filter((v): v is Via => (VIAS as readonly string[]).includes(v));
}
