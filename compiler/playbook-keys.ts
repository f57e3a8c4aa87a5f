// The keys of a playbook outside its step kinds, as a declarative table like compiler/step-kinds.ts: the
// compiler takes its allowed and required keys and its name rules from here, and the JSON Schema for
// editors (compiler/json-schema.ts) is derived from both tables.
import type { GroupBy } from '../core/ir';

export const PLAYBOOK_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
export const STEP_ID = /^[a-z][a-z0-9_-]*$/;
export const GROUP_BY: readonly GroupBy[] = ['detection', 'incident', 'device'];

export interface PlainKey {
  type:
    | 'string'
    | 'integer'
    | 'boolean'
    | 'duration'
    | 'condition'
    | 'list-expr'
    | 'object'
    | 'list'
    /** `true`, or a map of the alerts' classification and determination. */
    | 'alert-sync';
  required?: boolean;
  doc: string;
  pattern?: RegExp;
  minimum?: number;
  enum?: readonly string[];
  default?: string | boolean;
}

/** Top-level keys of a playbook file (`on` and `steps` are described by the schema's own parts). */
export const PLAYBOOK_KEYS: Readonly<Record<string, PlainKey>> = {
  playbook: { type: 'string', required: true, pattern: PLAYBOOK_NAME, doc: 'unique name, kebab-case' },
  version: { type: 'integer', required: true, minimum: 1, doc: 'integer >= 1; pinned into every run' },
  description: { type: 'string', doc: 'what the playbook does' },
  enabled: { type: 'boolean', default: true, doc: 'false: loaded and checked, but starts no runs' },
  on: { type: 'object', required: true, doc: 'which detections start a run' },
  steps: { type: 'list', required: true, doc: 'the steps, in order' },
  alert_sync: {
    type: 'alert-sync',
    doc: 'true, or {classification, determination}: when the run completes, resolve and classify each of its Defender alerts (docs/defender.md)',
  },
};

/** Keys of `on.detection`. */
export const DETECTION_TRIGGER_KEYS: Readonly<Record<string, PlainKey>> = {
  when: { type: 'condition', required: true, doc: 'CEL over `detection`: true starts (or joins) a run' },
  group_by: {
    type: 'string',
    enum: GROUP_BY,
    default: 'detection',
    doc: 'one run per detection, incident or device; later detections of the same key join it',
  },
};

/** Keys every step may have besides its kind. */
export const COMMON_STEP_KEYS: Readonly<Record<string, PlainKey>> = {
  id: { type: 'string', required: true, pattern: STEP_ID, doc: 'unique id; later steps read steps.<id>' },
  name: { type: 'string', doc: 'a readable name' },
  if: { type: 'condition', doc: 'CEL: the step runs only when true' },
  for_each: { type: 'list-expr', doc: 'CEL giving a list: the step runs once per item (`item`)' },
  timeout: { type: 'duration', doc: 'how long the step may take' },
  continue_on_error: { type: 'boolean', default: false, doc: 'a failure does not stop the run' },
};

export const required = (t: Readonly<Record<string, PlainKey>>): string[] =>
  Object.keys(t).filter((k) => t[k].required);
