// The CEL environment of playbook expressions (spec §1, §5): types of `detection`, `device`, step results
// and the built-in functions. Shared by the load-time checker and the workflow runtime, so both agree on
// what an expression means.
import { CANDIDATE_FIELDS, ENRICHMENT_FIELDS } from '../../core/defender-effects';
import { Environment } from '@marcbachmann/cel-js';
import type { EnvironmentOptions } from '@marcbachmann/cel-js';
import { DETECTION, DEVICE, type Field, type ObjectField } from '../../core/detection';

export const TIMESTAMP = 'google.protobuf.Timestamp';

/** Longest expression source accepted, in characters. */
export const MAX_EXPR_LENGTH = 2000;

/** Structural limits: the cost bound of an expression (Kubernetes-style), checked at parse time. */
export const CEL_LIMITS: EnvironmentOptions['limits'] = {
  maxAstNodes: 400,
  maxDepth: 32,
  maxListElements: 200,
  maxMapEntries: 100,
  maxCallArguments: 8,
};

/** Value of `calendar('x')`. A class, because cel-js cannot auto-wrap types with timestamp fields. */
export class CalendarValue {
  declare readonly open: boolean;
  declare readonly next_open: Date | null;
  declare readonly next_close: Date | null;
  /**
   * `edges` is called at most once, when an expression first reads next_open or next_close: finding
   * them may search a year ahead, and most expressions read only `open`. Own enumerable properties,
   * because CEL reads a field only if the object has it as its own.
   */
  constructor(open: boolean, edges: () => { nextOpen: Date | null; nextClose: Date | null }) {
    let found: { nextOpen: Date | null; nextClose: Date | null } | undefined;
    const get = () => (found ??= edges());
    Object.defineProperties(this, {
      open: { value: open, enumerable: true },
      next_open: { get: () => get().nextOpen, enumerable: true },
      next_close: { get: () => get().nextClose, enumerable: true },
    });
  }
}

/** Value of `oncall('x')`. */
export class OnCallValue {
  constructor(
    readonly id: string,
    readonly name: string,
  ) {}
}

type Fields = Record<string, string>;

/** The CEL type of a detection field (core/detection.ts): enums and timestamps are strings. */
function celType(f: Field): string {
  switch (f.kind) {
    case 'string':
    case 'enum':
    case 'timestamp':
      return 'string';
    case 'list':
      return `list<${celType(f.of)}>`;
    case 'map':
      return 'map<string, dyn>';
    case 'object':
      return f.cel;
  }
}

/** Every object type of `f` (itself and nested ones), innermost first, as CEL field types. */
function celObjectTypes(f: ObjectField, out: Array<[string, Fields]> = []): Array<[string, Fields]> {
  const fields: Fields = {};
  for (const [k, field] of Object.entries(f.fields)) {
    const inner = field.kind === 'list' ? field.of : field;
    if (inner.kind === 'object' && !out.some(([n]) => n === inner.cel)) celObjectTypes(inner, out);
    fields[k] = celType(field);
  }
  out.push([f.cel, fields]);
  return out;
}

/** The CEL types of the detection and its parts (Device, DetectionUser, EvidenceFile, Evidence, Detection). */
export const DETECTION_TYPES = celObjectTypes(DETECTION);
/** Device fields: the detection's, and `mde`, what Defender knows of it (core/defender-effects.ts). */
export const DEVICE_FIELDS: Fields = {
  ...Object.fromEntries(celObjectTypes(DEVICE))[DEVICE.cel],
  mde: 'MdeDevice',
};

/** The CEL types of `device.mde` (registered wherever Device is). */
export const MDE_TYPES: Array<[string, Fields]> = [
  ['MdeCandidate', CANDIDATE_FIELDS],
  ['MdeDevice', ENRICHMENT_FIELDS],
];

/** Result fields of each step kind (spec §3 table); every result also has `status` and `reason`. */
const COMMON_RESULT: Fields = { status: 'string', reason: 'string' };
export const RESULT_FIELDS: Record<string, Fields> = {
  notify: { ...COMMON_RESULT },
  approval: {
    ...COMMON_RESULT,
    outcome: 'string',
    timed_out: 'bool',
    decided_by: 'string',
    decided_at: 'string',
    channel: 'string',
    stage: 'int',
  },
  page: { ...COMMON_RESULT, acked_by: 'string', acked_at: 'string' },
  wait: { ...COMMON_RESULT },
  defender: { ...COMMON_RESULT, actions: 'list<DefenderActionResult>' },
  'defender.block_indicator': { ...COMMON_RESULT, indicator_id: 'string' },
  'defender.update_alert': { ...COMMON_RESULT },
  webhook: { ...COMMON_RESULT, http_status: 'int', body: 'dyn' },
  'defender.lookup': { ...COMMON_RESULT, machines: 'list<MdeDevice>' },
  'defender.hunt': {
    ...COMMON_RESULT,
    rows: 'list<map<string, dyn>>',
    row_count: 'int',
    truncated: 'bool',
    columns: 'list<HuntColumn>',
  },
  'defender.live_response': { ...COMMON_RESULT, scripts: 'list<ScriptRun>' },
  'defender.update_incident': { ...COMMON_RESULT, incidents: 'list<string>' },
};

/** CEL type name of the result of a step kind ("notify", "defender.isolate", …). */
export function resultTypeName(kind: string): string {
  const special: Record<string, string> = {
    'defender.block_indicator': 'IndicatorResult',
    'defender.update_alert': 'UpdateAlertResult',
    'defender.lookup': 'LookupResult',
    'defender.hunt': 'HuntResult',
    'defender.kill_process': 'LiveResponseResult',
    'defender.delete_file': 'LiveResponseResult',
    'defender.update_incident': 'UpdateIncidentResult',
  };
  if (special[kind]) return special[kind];
  if (kind.startsWith('defender.')) return 'DefenderResult';
  return `${kind[0].toUpperCase()}${kind.slice(1)}Result`;
}

const RESULT_TYPES: Array<[string, Fields]> = [
  ['NotifyResult', RESULT_FIELDS.notify],
  ['ApprovalResult', RESULT_FIELDS.approval],
  ['PageResult', RESULT_FIELDS.page],
  ['WaitResult', RESULT_FIELDS.wait],
  ['DefenderResult', RESULT_FIELDS.defender],
  ['IndicatorResult', RESULT_FIELDS['defender.block_indicator']],
  ['UpdateAlertResult', RESULT_FIELDS['defender.update_alert']],
  ['WebhookResult', RESULT_FIELDS.webhook],
  ['LookupResult', RESULT_FIELDS['defender.lookup']],
  ['HuntResult', RESULT_FIELDS['defender.hunt']],
  ['LiveResponseResult', RESULT_FIELDS['defender.live_response']],
  ['UpdateIncidentResult', RESULT_FIELDS['defender.update_incident']],
];

/** The zero value of a declared field type: what an absent field reads as (CEL/proto3 convention). */
export function zeroValue(type: string): unknown {
  if (type === 'string') return '';
  if (type === 'bool') return false;
  if (type === 'int') return 0n;
  if (type.startsWith('list<')) return [];
  return null;
}

/** Every result field of every kind with its zero value: what a step that has not produced it reads as. */
export const RESULT_DEFAULTS: Record<string, unknown> = (() => {
  const out: Record<string, unknown> = {};
  for (const fields of Object.values(RESULT_FIELDS))
    for (const [k, t] of Object.entries(fields)) out[k] = zeroValue(t);
  out.status = 'skipped';
  return out;
})();

export interface FunctionHandlers {
  calendar(name: string): CalendarValue;
  oncall(name: string): OnCallValue;
  protected(device: unknown): boolean;
}

/**
 * The typed environment used by the load-time checker: every variable typed per spec §5. `steps` is not
 * registered here — the checker clones this per step and registers a `Steps` type holding only earlier
 * steps.
 */
export function typedEnvironment(fns: FunctionHandlers): Environment {
  const env = new Environment({ limits: CEL_LIMITS, homogeneousAggregateLiterals: true });
  for (const [name, fields] of [...MDE_TYPES, ...DETECTION_TYPES]) {
    env.registerType(name, { fields: name === DEVICE.cel ? DEVICE_FIELDS : fields });
  }
  env.registerType('PlaybookInfo', { fields: { name: 'string', version: 'int', hash: 'string' } });
  env.registerType('CalendarState', {
    ctor: CalendarValue,
    fields: { open: 'bool', next_open: TIMESTAMP, next_close: TIMESTAMP },
  });
  env.registerType('OnCall', { ctor: OnCallValue, fields: { id: 'string', name: 'string' } });
  env.registerType('DefenderActionResult', {
    fields: { device: 'string', action_id: 'string', status: 'string' },
  });
  env.registerType('HuntColumn', { fields: { name: 'string', type: 'string' } });
  env.registerType('ScriptRun', {
    fields: {
      device: 'string',
      machine_id: 'string',
      action_id: 'string',
      status: 'string',
      exit_code: 'int',
      outcome: 'string',
      output: 'string',
      errors: 'string',
    },
  });
  for (const [name, fields] of RESULT_TYPES) env.registerType(name, { fields });
  env.registerVariable('detection', 'Detection');
  env.registerVariable('device', 'Device');
  env.registerVariable('item', 'dyn');
  env.registerVariable('playbook', 'PlaybookInfo');
  env.registerVariable('now', TIMESTAMP);
  env.registerFunction('calendar(string): CalendarState', (n: string) => fns.calendar(n));
  env.registerFunction('oncall(string): OnCall', (n: string) => fns.oncall(n));
  env.registerFunction('protected(Device): bool', (d: unknown) => fns.protected(d));
  return env;
}

/** The environment of `policy.protected_devices`: only `device` is in scope. */
export function policyEnvironment(): Environment {
  const env = new Environment({ limits: CEL_LIMITS, homogeneousAggregateLiterals: true });
  for (const [name, fields] of MDE_TYPES) env.registerType(name, { fields });
  env.registerType('Device', { fields: DEVICE_FIELDS });
  env.registerVariable('device', 'Device');
  return env;
}

/**
 * The environment the workflow evaluates with: the same functions, every variable `dyn`. Expressions were
 * type-checked at load time against typedEnvironment, so the runtime needs no wrappers around plain
 * objects (which keeps values plain and conversion back to JS trivial).
 */
export function runtimeEnvironment(fns: FunctionHandlers): Environment {
  const env = new Environment({ limits: CEL_LIMITS, homogeneousAggregateLiterals: true });
  env.registerType('CalendarState', {
    ctor: CalendarValue,
    fields: { open: 'bool', next_open: TIMESTAMP, next_close: TIMESTAMP },
  });
  env.registerType('OnCall', { ctor: OnCallValue, fields: { id: 'string', name: 'string' } });
  for (const v of ['detection', 'device', 'item', 'steps', 'playbook']) env.registerVariable(v, 'dyn');
  env.registerVariable('now', TIMESTAMP);
  env.registerFunction('calendar(string): CalendarState', (n: string) => fns.calendar(n));
  env.registerFunction('oncall(string): OnCall', (n: string) => fns.oncall(n));
  env.registerFunction('protected(dyn): bool', (d: unknown) => fns.protected(d));
  return env;
}
