// playbooks/*.yaml → PlaybookIR (spec §3), checked against an OrgIR.
import type { Environment } from '@marcbachmann/cel-js';
import { isMap, isScalar, isSeq } from 'yaml';
import type { Node, Pair } from 'yaml';
import type { Scope } from './check';
import { ExprChecker } from './check';
import type { Diagnostic } from './diagnostics';
import { CalendarValue, OnCallValue, resultTypeName, typedEnvironment } from '../engine/expr/types';
import { irHash } from './hash';
import type {
  DefenderAction,
  GroupBy,
  OrgIR,
  PlaybookIR,
  StepIR,
  StepKindIR,
  Target,
  Template,
  TemplatedJson,
} from '../core/ir';
import { IR_VERSION, PER_DEVICE_DEFENDER_ACTIONS } from '../core/ir';
import { duration } from './org';
import { parseSource, unescapeEnvRefs } from './source';
import { didYouMean } from './suggest';
import type { Entry } from './walk';
import { Walker } from './walk';

const PLAYBOOK_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const STEP_ID = /^[a-z][a-z0-9_-]*$/;
const COMMON_KEYS = ['id', 'name', 'if', 'for_each', 'timeout', 'continue_on_error'];

/** Defender step keys per action: [allowed, required, literal enums]. */
const DEFENDER: Record<
  DefenderAction,
  { keys: string[]; required: string[]; enums: Record<string, string[]> }
> = {
  isolate: { keys: ['type', 'comment'], required: [], enums: { type: ['full', 'selective'] } },
  release: { keys: ['comment'], required: [], enums: {} },
  scan: { keys: ['type', 'comment'], required: [], enums: { type: ['quick', 'full'] } },
  collect_package: { keys: ['comment'], required: [], enums: {} },
  restrict_apps: { keys: ['comment'], required: [], enums: {} },
  unrestrict_apps: { keys: ['comment'], required: [], enums: {} },
  quarantine_file: { keys: ['sha1', 'comment'], required: ['sha1'], enums: {} },
  block_indicator: {
    keys: ['type', 'value', 'action', 'title', 'expires', 'comment'],
    required: ['type', 'value', 'action', 'title'],
    enums: {
      type: ['sha256', 'sha1', 'md5', 'ip', 'url', 'domain'],
      action: ['block', 'block_and_remediate', 'alert'],
    },
  },
  update_alert: {
    keys: ['status', 'classification', 'determination', 'comment'],
    required: [],
    enums: {
      status: ['New', 'InProgress', 'Resolved'],
      classification: ['TruePositive', 'InformationalExpectedActivity', 'FalsePositive'],
    },
  },
};
/** The comment a machine action gets when the playbook gives none (Defender requires one). */
const DEFAULT_COMMENT = 'nightshift ${{ playbook.name }} v${{ playbook.version }}: ${{ detection.id }}';

const KINDS = [
  'notify',
  'approval',
  'page',
  'wait',
  'webhook',
  ...Object.keys(DEFENDER).map((a) => `defender.${a}`),
];

let baseEnv: Environment | null = null;
/** The typed environment is costly to build; one frozen base is cloned per step. */
function base(): Environment {
  if (!baseEnv) {
    const unused = (): never => {
      throw new Error('not evaluated at load time');
    };
    baseEnv = typedEnvironment({
      calendar: unused as () => CalendarValue,
      oncall: unused as () => OnCallValue,
      protected: unused,
    });
  }
  return baseEnv;
}

/** An environment whose `steps` holds exactly `earlier`, each typed by its kind's result. */
function stepsEnv(earlier: Array<{ id: string; kind: string }>): Environment {
  const env = base().clone();
  const fields: Record<string, string> = {};
  for (const s of earlier) fields[s.id] = resultTypeName(s.kind);
  env.registerType('Steps', { fields });
  env.registerVariable('steps', 'Steps');
  return env;
}

export function compilePlaybook(
  file: string,
  text: string,
  org: OrgIR,
): { playbook?: PlaybookIR; diagnostics: Diagnostic[] } {
  const src = parseSource(file, text);
  const { rep } = src;
  if (!src.root) return { diagnostics: rep.diagnostics };
  const w = new Walker(rep, src.doc, src.text);
  const chk = new ExprChecker(w);
  const top = w.map(
    src.root,
    'playbook',
    0,
    ['playbook', 'version', 'description', 'enabled', 'on', 'steps'],
    ['playbook', 'version', 'on', 'steps'],
  );
  if (!top) return { diagnostics: rep.diagnostics };

  const name = w.str(top.get('playbook'), 'playbook');
  if (name !== null && !PLAYBOOK_NAME.test(name)) {
    rep.error(
      w.pos(top.get('playbook')?.value),
      `playbook name '${name}' must be kebab-case, like contain-confirmed-threat`,
    );
  }
  const version = w.int(top.get('version'), 'version', 1);
  const description = w.str(top.get('description'), 'description');
  const enabled = w.bool(top.get('enabled'), 'enabled');

  // Step ids and kinds first: expressions may only read earlier steps, and need to tell unknown from later.
  const stepNodes = w.seq(top.get('steps'), 'steps') ?? [];
  const stepEntries = top.get('steps');
  if (stepEntries && isSeq(stepEntries.value) && stepNodes.length === 0)
    rep.error(w.pos(stepEntries.value), 'steps must not be empty');
  const headers = stepNodes.map((n) => stepHeader(w, n));
  const allIds = headers.map((h) => h?.id).filter((x): x is string => !!x);
  const seenIds = new Map<string, number>();
  for (const h of headers) {
    if (!h?.id) continue;
    if (seenIds.has(h.id)) rep.error(h.idAt, `duplicate step id '${h.id}'`);
    else seenIds.set(h.id, h.idAt);
  }

  const orgNames = { calendars: Object.keys(org.calendars), rotations: Object.keys(org.rotations) };
  const scopeAt = (i: number, self?: string): Scope => {
    const earlier = headers.slice(0, i).filter((h): h is StepHeader => !!h?.id && !!h.kind);
    return {
      env: stepsEnv(earlier.map((h) => ({ id: h.id, kind: h.kind }))),
      earlier: earlier.map((h) => h.id),
      all: allIds,
      self,
      ...orgNames,
    };
  };

  // on.detection
  let on: PlaybookIR['on'] | null = null;
  const oe = top.get('on');
  if (oe) {
    const om = w.map(oe.value, "'on'", oe.keyAt, ['detection'], ['detection']);
    const de = om?.get('detection');
    const dm = de ? w.map(de.value, 'on.detection', de.keyAt, ['when', 'group_by'], ['when']) : null;
    if (dm) {
      const we = dm.get('when');
      const when = we ? chk.expr(we.value, we.keyAt, scopeAt(0), 'bool', 'on.detection.when') : null;
      const gb = w.str(dm.get('group_by'), 'on.detection.group_by') ?? 'detection';
      if (!['detection', 'incident', 'device'].includes(gb)) {
        rep.error(
          w.pos(dm.get('group_by')?.value),
          `group_by must be detection, incident or device, not '${gb}'${didYouMean(gb, ['detection', 'incident', 'device'])}`,
        );
      }
      if (when) on = { when, groupBy: gb as GroupBy };
    }
  }

  const ctx: Ctx = { w, chk, org };
  const steps: StepIR[] = [];
  stepNodes.forEach((n, i) => {
    const h = headers[i];
    if (!h) return;
    const s = compileStep(ctx, n, h, scopeAt(i, h.id));
    if (s) steps.push(s);
  });

  if (rep.failed || name === null || version === null || !on) return { diagnostics: rep.diagnostics };
  const body: Omit<PlaybookIR, 'hash'> = {
    irVersion: IR_VERSION,
    name,
    version,
    ...(description !== null ? { description } : {}),
    enabled: enabled ?? true,
    file,
    on,
    steps,
  };
  // Positions (`at`) move with comment-only edits, so they are left out of the hash along with `file`.
  return {
    playbook: { ...body, hash: irHash(stripPositions(body) as object, ['file']) },
    diagnostics: rep.diagnostics,
  };
}

/** The IR without `at` fields: positions move with comments and blank lines, meaning does not. */
function stripPositions(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripPositions);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'at') out[k] = stripPositions(x);
    return out;
  }
  return v;
}

interface StepHeader {
  id: string;
  idAt: number;
  kind: string;
  kindAt: number;
  at: number;
  entries: Map<string, Entry>;
}

function stepHeader(w: Walker, n: Node): StepHeader | null {
  const at = w.pos(n);
  const m = w.map(n, 'step', at, [...COMMON_KEYS, ...KINDS]);
  if (!m) return null;
  const ide = m.get('id');
  let id = '';
  if (!ide) w.rep.error(at, "step is missing 'id'");
  else {
    id = w.str(ide, 'step id') ?? '';
    if (id && !STEP_ID.test(id)) w.rep.error(w.pos(ide.value), `step id '${id}' must match [a-z][a-z0-9_-]*`);
  }
  const kinds = [...m.keys()].filter((k) => KINDS.includes(k));
  if (kinds.length === 0) {
    w.rep.error(at, `step${id ? ` '${id}'` : ''} has no kind: add one of ${KINDS.join(', ')}`);
  }
  for (const extra of kinds.slice(1)) {
    w.rep.error(
      m.get(extra)?.keyAt ?? at,
      `step${id ? ` '${id}'` : ''} has more than one kind ('${kinds[0]}' and '${extra}')`,
    );
  }
  return {
    id,
    idAt: ide ? w.pos(ide.value, at) : at,
    kind: kinds[0] ?? '',
    kindAt: kinds[0] ? (m.get(kinds[0])?.keyAt ?? at) : at,
    at,
    entries: m,
  };
}

interface Ctx {
  w: Walker;
  chk: ExprChecker;
  org: OrgIR;
}

function compileStep(ctx: Ctx, _n: Node, h: StepHeader, scope: Scope): StepIR | null {
  const { w, chk } = ctx;
  const m = h.entries;
  const what = `step '${h.id}'`;
  const step: StepIR = {
    id: h.id,
    continueOnError: false,
    at: w.rep.at(h.at),
    run: { kind: 'wait', forMs: 0 },
  };
  const nm = w.str(m.get('name'), `${what}: name`);
  if (nm !== null) step.name = nm;
  const ife = m.get('if');
  if (ife) {
    const e = chk.expr(ife.value, ife.keyAt, scope, 'bool', `${what}: if`);
    if (e) step.if = e;
  }
  const fe = m.get('for_each');
  if (fe) {
    const e = chk.expr(fe.value, fe.keyAt, scope, 'list', `${what}: for_each`);
    if (e) step.forEach = e;
  }
  const te = m.get('timeout');
  if (te) {
    const t = duration(w, te, `${what}: timeout`);
    if (t !== null) step.timeoutMs = t;
  }
  const ce = w.bool(m.get('continue_on_error'), `${what}: continue_on_error`);
  if (ce !== null) step.continueOnError = ce;
  if (!h.kind) return null;
  const ke = m.get(h.kind);
  if (!ke) return null;
  const run = compileKind(ctx, h.kind, ke, scope, what);
  if (!run) return null;
  step.run = run;
  return step;
}

function compileKind(ctx: Ctx, kind: string, ke: Entry, scope: Scope, stepWhat: string): StepKindIR | null {
  const { w, chk } = ctx;
  const what = `${stepWhat}: ${kind}`;
  const tpl = (m: Map<string, Entry>, key: string): Template | null => {
    const e = m.get(key);
    return e ? chk.template(e.value, e.keyAt, scope, `${what}.${key}`) : null;
  };
  switch (kind) {
    case 'notify': {
      const m = w.map(ke.value, what, ke.keyAt, ['to', 'message', 'title'], ['to', 'message']);
      if (!m) return null;
      const to = targets(ctx, m.get('to'), `${what}.to`);
      const message = tpl(m, 'message');
      const title = tpl(m, 'title');
      if (!to || !message) return null;
      return { kind: 'notify', to, message, ...(title ? { title } : {}) };
    }
    case 'approval': {
      const m = w.map(
        ke.value,
        what,
        ke.keyAt,
        ['ask', 'approvers', 'question', 'timeout', 'on_timeout', 'via'],
        ['ask', 'approvers', 'question', 'timeout'],
      );
      if (!m) return null;
      const ask = targets(ctx, m.get('ask'), `${what}.ask`);
      const via = m.has('via') ? viaList(w, m.get('via'), `${what}.via`) : undefined;
      const approvers = people(ctx, m.get('approvers'), `${what}.approvers`);
      const question = tpl(m, 'question');
      const timeoutMs = duration(w, m.get('timeout'), `${what}.timeout`);
      const ot = oneOf(w, m.get('on_timeout'), `${what}.on_timeout`, ['approved', 'denied']) ?? 'denied';
      if (!ask || !approvers || !question || timeoutMs === null) return null;
      return {
        kind: 'approval',
        ask,
        approvers,
        question,
        timeoutMs,
        onTimeout: ot as 'approved' | 'denied',
        ...(via ? { via } : {}),
      };
    }
    case 'page': {
      const m = w.map(
        ke.value,
        what,
        ke.keyAt,
        ['rotation', 'to', 'via', 'message', 'ack_timeout', 'escalate_to'],
        ['via', 'message', 'ack_timeout'],
      );
      if (!m) return null;
      const re = m.get('rotation');
      const rotation = w.str(re, `${what}.rotation`);
      if (rotation !== null && !ctx.org.rotations[rotation]) {
        w.rep.error(
          w.pos(re?.value),
          `${what}.rotation: unknown rotation '${rotation}'${didYouMean(rotation, Object.keys(ctx.org.rotations))}`,
        );
      }
      const to = m.has('to') ? targets(ctx, m.get('to'), `${what}.to`, true) : undefined;
      if (m.has('rotation') === m.has('to'))
        w.rep.error(ke.keyAt, `${what} needs exactly one of 'rotation' or 'to'`);
      const via = viaList(w, m.get('via'), `${what}.via`);
      const message = tpl(m, 'message');
      const ack = duration(w, m.get('ack_timeout'), `${what}.ack_timeout`);
      const escalateTo = m.has('escalate_to') ? people(ctx, m.get('escalate_to'), `${what}.escalate_to`) : [];
      if (!message || ack === null || !escalateTo) return null;
      return {
        kind: 'page',
        ...(rotation !== null ? { rotation } : {}),
        ...(to ? { to } : {}),
        via,
        message,
        ackTimeoutMs: ack,
        escalateTo,
      };
    }
    case 'wait': {
      const m = w.map(ke.value, what, ke.keyAt, ['for', 'until']);
      if (!m) return null;
      if (m.has('for') === m.has('until')) {
        w.rep.error(
          ke.keyAt,
          `${what} needs exactly one of 'for' (a duration) or 'until' (a timestamp expression)`,
        );
        return null;
      }
      if (m.has('for')) {
        const ms = duration(w, m.get('for'), `${what}.for`);
        return ms === null ? null : { kind: 'wait', forMs: ms };
      }
      const ue = m.get('until');
      const until = ue ? chk.expr(ue.value, ue.keyAt, scope, 'timestamp', `${what}.until`) : null;
      return until ? { kind: 'wait', until } : null;
    }
    case 'webhook': {
      const m = w.map(ke.value, what, ke.keyAt, ['url', 'method', 'headers', 'body'], ['url']);
      if (!m) return null;
      const url = tpl(m, 'url');
      const ue = m.get('url');
      if (url && typeof url.parts[0] === 'string' && !/^https?:\/\//.test(url.parts[0])) {
        w.rep.error(w.pos(ue?.value), `${what}.url must start with http:// or https://`);
      }
      const method = (oneOf(w, m.get('method'), `${what}.method`, [
        'GET',
        'POST',
        'PUT',
        'PATCH',
        'DELETE',
      ]) ?? 'POST') as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
      const headers: Record<string, Template> = {};
      const he = m.get('headers');
      for (const [k, e] of he ? (w.map(he.value, `${what}.headers`, he.keyAt, null) ?? []) : []) {
        const t = chk.template(e.value, e.keyAt, scope, `${what}.headers.${k}`);
        if (t) headers[k] = t;
      }
      const be = m.get('body');
      const body = be ? templatedJson(ctx, be.value, scope, `${what}.body`) : undefined;
      if (!url) return null;
      return { kind: 'webhook', url, method, headers, ...(body ? { body } : {}) };
    }
  }
  const action = kind.slice('defender.'.length) as DefenderAction;
  const spec = DEFENDER[action];
  const m =
    ke.value === null || (isScalar(ke.value) && ke.value.value === null)
      ? new Map<string, Entry>()
      : w.map(ke.value, what, ke.keyAt, spec.keys, []);
  if (!m) return null;
  for (const r of spec.required) if (!m.has(r)) w.rep.error(ke.keyAt, `${what} is missing '${r}'`);
  const params: Record<string, Template> = {};
  for (const [k, e] of m) {
    const t = chk.template(e.value, e.keyAt, scope, `${what}.${k}`);
    if (!t) continue;
    params[k] = t;
    const literal = t.parts.length === 1 && typeof t.parts[0] === 'string' ? t.parts[0] : null;
    const allowed = spec.enums[k];
    if (allowed && literal !== null && !allowed.includes(literal)) {
      w.rep.error(
        w.pos(e.value),
        `${what}.${k}: '${literal}' is not one of ${allowed.join(', ')}${didYouMean(literal, allowed)}`,
      );
    }
    if (
      k === 'expires' &&
      literal !== null &&
      !/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(literal) &&
      !/^\d+[dwhms]/.test(literal)
    ) {
      w.rep.error(
        w.pos(e.value),
        `${what}.expires: '${literal}' is neither a duration (30d) nor an ISO-8601 date`,
      );
    }
  }
  if ((PER_DEVICE_DEFENDER_ACTIONS as readonly string[]).includes(action) && !params.comment) {
    params.comment = chk.templateOf(DEFAULT_COMMENT, null, scope, `${what}.comment`) ?? {
      parts: [DEFAULT_COMMENT],
      at: '',
    };
  }
  return { kind: 'defender', action, params };
}

function oneOf(w: Walker, e: Entry | undefined, what: string, allowed: string[]): string | null {
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

/** Channels, people and groups, kept as named (groups are expanded at run time for display). */
function targets(ctx: Ctx, e: Entry | undefined, what: string, noChannels = false): Target[] | null {
  const items = ctx.w.strList(e, what);
  if (!items) return null;
  const { channels, people, groups } = ctx.org;
  const out: Target[] = [];
  for (const it of items) {
    if (channels[it.v] && !noChannels) out.push({ type: 'channel', id: it.v });
    else if (people[it.v]) out.push({ type: 'person', id: it.v });
    else if (groups[it.v]) out.push({ type: 'group', id: it.v });
    else {
      const known = [
        ...(noChannels ? [] : Object.keys(channels)),
        ...Object.keys(people),
        ...Object.keys(groups),
      ];
      const kinds = noChannels ? 'person or group' : 'channel, person or group';
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

const VIAS = ['sms', 'voice', 'slack', 'email'] as const;
type Via = (typeof VIAS)[number];

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
