// The workflow-safe expression runtime: evaluates checked IR expressions against a run's scope. No Node
// built-ins, no I/O, no wall clock: `now` comes from the scope (workflow time), calendars and rotations
// are pure functions of the IR.
import { emptyEnrichment } from '../../core/defender-effects';
import type { Environment, ParseResult } from '@marcbachmann/cel-js';
import { DETECTION, DEVICE, withZeroValues, type Detection, type Device } from '../../core/detection';
import type { Expr, OrgIR, Template, TemplatedJson } from '../../core/ir';
import { calendarState, isCalendarOpen } from '../time/calendar';
import { onCallAt } from '../time/rotation';
import { collectRefs } from './refs';
import { CalendarValue, OnCallValue, RESULT_DEFAULTS, runtimeEnvironment } from './types';
import { fromCel, toCel, toText } from './values';

export interface EvalScope {
  detection: Detection;
  device?: Device;
  item?: unknown;
  steps: Record<string, Record<string, unknown>>;
  playbook: { name: string; version: number; hash: string };
  now: Date;
}

/** A runtime expression failure; the message starts with the expression's position "file:line:col: ". */
export class ExprError extends Error {
  constructor(
    readonly at: string,
    message: string,
  ) {
    super(`${at}: ${message}`);
    this.name = 'ExprError';
  }
}

export interface Evaluator {
  bool(e: Expr, s: EvalScope): boolean;
  /** Converted back to plain JS: BigInt → number, CEL timestamp → Date, maps → objects. */
  value(e: Expr, s: EvalScope): unknown;
  list(e: Expr, s: EvalScope): unknown[];
  timestamp(e: Expr, s: EvalScope): Date;
  render(t: Template, s: EvalScope): string;
  renderJson(j: TemplatedJson, s: EvalScope): unknown;
  /** policy.protected_devices; false when unset. */
  isProtected(device: Device): boolean;
  /** Person id on call for `rotation` at `at`. */
  onCall(rotation: string, at: Date): string;
}

/** Absent optional fields read as their zero value, as they were typed at load time (core/detection.ts). */
function normalizeDevice(d: Device | undefined): Record<string, unknown> {
  const out = withZeroValues(DEVICE, (d ?? {}) as Record<string, unknown>);
  // `device.mde`: what Defender knows of the device (engine/mde.ts), the zero value before a lookup.
  out.mde = toCel((d as { mde?: unknown } | undefined)?.mde ?? emptyEnrichment());
  return out;
}

function normalizeDetection(d: Detection): Record<string, unknown> {
  return withZeroValues(DETECTION, d as unknown as Record<string, unknown>);
}

function stepResult(r: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { ...RESULT_DEFAULTS };
  if (!r) return out;
  for (const [k, v] of Object.entries(r)) {
    // decided_at/acked_at are typed as ISO strings; accept Dates from the interpreter too.
    out[k] = v instanceof Date ? v.toISOString() : toCel(v);
  }
  if (!Array.isArray(out.actions)) out.actions = [];
  return out;
}

export function createEvaluator(org: OrgIR): Evaluator {
  // Evaluation is synchronous, so the function handlers read the instant of the call in progress.
  let currentNow: Date | null = null;
  const nowOrFail = (): Date => {
    if (!currentNow) throw new Error('calendar()/oncall() used outside an evaluation');
    return currentNow;
  };
  const onCall = (rotation: string, at: Date): string => {
    const rot = org.rotations[rotation];
    if (!rot) throw new Error(`unknown rotation '${rotation}'`);
    return onCallAt(rot, at);
  };
  let isProtected: (device: Device) => boolean = () => false;
  const env: Environment = runtimeEnvironment({
    calendar(name) {
      const cal = org.calendars[name];
      if (!cal) throw new Error(`unknown calendar '${name}'`);
      const now = nowOrFail();
      return new CalendarValue(isCalendarOpen(cal, now), () => calendarState(cal, now));
    },
    oncall(name) {
      const id = onCall(name, nowOrFail());
      return new OnCallValue(id, org.people[id]?.name ?? id);
    },
    protected(d) {
      return isProtected(fromCel(d) as Device);
    },
  });

  const compiled = new Map<string, { fn: ParseResult; steps: string[] }>();
  const compile = (e: Expr): { fn: ParseResult; steps: string[] } => {
    let c = compiled.get(e.src);
    if (!c) {
      try {
        const fn = env.parse(e.src);
        c = { fn, steps: [...new Set(collectRefs(fn.ast).steps.map((r) => r.id))] };
      } catch (err) {
        throw new ExprError(e.at, `cannot parse '${e.src}': ${firstLine(err)}`);
      }
      compiled.set(e.src, c);
    }
    return c;
  };

  const run = (e: Expr, s: EvalScope): unknown => {
    const c = compile(e);
    const steps: Record<string, unknown> = {};
    for (const id of c.steps) steps[id] = stepResult(s.steps[id]);
    const ctx = {
      detection: normalizeDetection(s.detection),
      device: normalizeDevice(s.device ?? s.detection.devices?.[0]),
      item: toCel(s.item ?? null),
      steps,
      playbook: { name: s.playbook.name, version: BigInt(s.playbook.version), hash: s.playbook.hash },
      now: s.now,
    };
    const prev = currentNow;
    currentNow = s.now;
    try {
      return c.fn(ctx) as unknown;
    } catch (err) {
      throw new ExprError(e.at, `'${e.src}': ${firstLine(err)}`);
    } finally {
      currentNow = prev;
    }
  };

  if (org.policy.protectedDevices) {
    const policy = org.policy.protectedDevices;
    const epoch = new Date(0);
    const emptyDetection = {
      devices: [],
      evidence: { files: [], processes: [], ips: [], urls: [] },
    } as unknown as Detection;
    isProtected = (device) => {
      const v = run(policy, {
        detection: emptyDetection,
        device,
        steps: {},
        playbook: { name: '', version: 0, hash: '' },
        now: epoch,
      });
      if (typeof v !== 'boolean')
        throw new ExprError(policy.at, `policy.protected_devices gave ${typeName(v)}, not bool`);
      return v;
    };
  }

  const ev: Evaluator = {
    bool(e, s) {
      const v = run(e, s);
      if (typeof v !== 'boolean') throw new ExprError(e.at, `'${e.src}' gave ${typeName(v)}, expected bool`);
      return v;
    },
    value(e, s) {
      return fromCel(run(e, s));
    },
    list(e, s) {
      const v = run(e, s);
      if (!Array.isArray(v)) throw new ExprError(e.at, `'${e.src}' gave ${typeName(v)}, expected list`);
      return v.map(fromCel);
    },
    timestamp(e, s) {
      const v = run(e, s);
      if (!(v instanceof Date))
        throw new ExprError(e.at, `'${e.src}' gave ${typeName(v)}, expected timestamp`);
      return v;
    },
    render(t, s) {
      let out = '';
      for (const p of t.parts) out += typeof p === 'string' ? p : toText(run(p, s));
      return out;
    },
    renderJson(j, s) {
      switch (j.t) {
        case 'literal':
          return j.v;
        case 'template':
          // A template that is exactly one expression keeps the expression's type (number, list, …).
          if (j.v.parts.length === 1 && typeof j.v.parts[0] !== 'string')
            return jsonSafe(ev.value(j.v.parts[0], s));
          return ev.render(j.v, s);
        case 'array':
          return j.v.map((x) => ev.renderJson(x, s));
        case 'object': {
          const out: Record<string, unknown> = {};
          for (const [k, x] of j.v) out[k] = ev.renderJson(x, s);
          return out;
        }
      }
    },
    isProtected: (device) => isProtected(device),
    onCall,
  };
  return ev;
}

function jsonSafe(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = jsonSafe(x);
    return out;
  }
  return v;
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Date) return 'a timestamp';
  return typeof v === 'bigint' ? 'an int' : `a ${typeof v}`;
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0];
}
