// playbooks/*.yaml → PlaybookIR (spec §3), checked against an OrgIR: the playbook, its trigger and its
// steps' common keys here; each step's kind through the step-kind table (step-kinds.ts, steps.ts).
import type { Environment } from '@marcbachmann/cel-js';
import { isScalar, isSeq } from 'yaml';
import type { Node } from 'yaml';
import type { AlertSyncIR, GroupBy, OrgIR, PlaybookIR, StepIR } from '../core/ir';
import { ALERT_CLASSIFICATIONS, IR_VERSION } from '../core/ir';
import { CalendarValue, OnCallValue, resultTypeName, typedEnvironment } from '../engine/expr/types';
import type { Scope } from './check';
import { ExprChecker } from './check';
import type { Diagnostic } from './diagnostics';
import { irHash } from './hash';
import { duration } from './org';
import { parseSource } from './source';
import {
  COMMON_STEP_KEYS,
  DETECTION_TRIGGER_KEYS,
  GROUP_BY,
  PLAYBOOK_KEYS,
  PLAYBOOK_NAME,
  required,
  STEP_ID,
} from './playbook-keys';
import { KINDS } from './step-kinds';
import { compileKind, type Ctx } from './steps';
import { didYouMean } from './suggest';
import type { Entry } from './walk';
import { Walker } from './walk';

const COMMON_KEYS = Object.keys(COMMON_STEP_KEYS);

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
  const top = w.map(src.root, 'playbook', 0, Object.keys(PLAYBOOK_KEYS), required(PLAYBOOK_KEYS));
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
    const dm = de
      ? w.map(
          de.value,
          'on.detection',
          de.keyAt,
          Object.keys(DETECTION_TRIGGER_KEYS),
          required(DETECTION_TRIGGER_KEYS),
        )
      : null;
    if (dm) {
      const we = dm.get('when');
      const when = we ? chk.expr(we.value, we.keyAt, scopeAt(0), 'bool', 'on.detection.when') : null;
      const gb = w.str(dm.get('group_by'), 'on.detection.group_by') ?? 'detection';
      if (!(GROUP_BY as readonly string[]).includes(gb)) {
        rep.error(
          w.pos(dm.get('group_by')?.value),
          `group_by must be detection, incident or device, not '${gb}'${didYouMean(gb, [...GROUP_BY])}`,
        );
      }
      if (when) on = { when, groupBy: gb as GroupBy };
    }
  }

  const alertSync = readAlertSync(w, top.get('alert_sync'));

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
    ...(alertSync ? { alertSync } : {}),
  };
  // Positions (`at`) move with comment-only edits, so they are left out of the hash along with `file`.
  return {
    playbook: { ...body, hash: irHash(stripPositions(body) as object, ['file']) },
    diagnostics: rep.diagnostics,
  };
}

/** `alert_sync: true`, or a map with the classification and determination of a completed run's alerts. */
function readAlertSync(w: Walker, e: Entry | undefined): AlertSyncIR | null {
  if (!e) return null;
  if (isScalar(e.value) && typeof e.value.value === 'boolean') return e.value.value ? {} : null;
  const m = w.map(e.value, 'alert_sync', e.keyAt, ['classification', 'determination'], []);
  if (!m) return null;
  const out: AlertSyncIR = {};
  const ce = m.get('classification');
  const c = w.str(ce, 'alert_sync.classification');
  if (c !== null) {
    if (!(ALERT_CLASSIFICATIONS as readonly string[]).includes(c)) {
      w.rep.error(
        w.pos(ce?.value),
        `alert_sync.classification: '${c}' is not one of ${ALERT_CLASSIFICATIONS.join(', ')}${didYouMean(c, [...ALERT_CLASSIFICATIONS])}`,
      );
    } else out.classification = c as AlertSyncIR['classification'];
  }
  const d = w.str(m.get('determination'), 'alert_sync.determination');
  if (d !== null) out.determination = d;
  return out;
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
