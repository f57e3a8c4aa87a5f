// The step kinds of the playbook language as a DECLARATIVE TABLE: each kind's keys with their value
// type, whether required, their enums and defaults, and a line from the spec. The compiler reads its
// steps through it (compiler/steps.ts); a JSON Schema for editors can be derived from it; a new step
// kind is a new entry (and a handler in engine/steps/). The IR each kind compiles to is built by its
// `build` from the checked values.
import { VIAS } from '../core/channels';
import type {
  DefenderAction,
  EscalationStageIR,
  Expr,
  LiveResponseStepAction,
  StepKindIR,
  Target,
  Template,
  TemplatedJson,
} from '../core/ir';
import {
  ALERT_CLASSIFICATIONS,
  HUNT_DEFAULT_LIMIT,
  HUNT_MAX_LIMIT,
  PER_DEVICE_DEFENDER_ACTIONS,
} from '../core/ir';
import { INCIDENT_CLASSIFICATION, INCIDENT_STATUS } from '../core/defender-effects';

/** How a key's value is read and checked. */
export type ValueType =
  /** A string with `${{ expr }}` parts, type-checked. */
  | 'template'
  /** "30s", "15m", "1h30m", "2d", "1w". */
  | 'duration'
  /** A CEL expression giving a timestamp. */
  | 'timestamp-expr'
  /** A list of channels, people, groups and rotations of nightshift.yaml. */
  | 'targets'
  /** A list of people, groups and rotations (no channels). */
  | 'people-targets'
  /** A list of people and groups, expanded to person ids. */
  | 'people'
  /** A list of people, groups and rotations: person ids (groups expanded) and rotation names apart. */
  | 'approvers'
  /** A CEL expression giving a bool. */
  | 'condition'
  /** A list of mappings, each with the keys of `items`. */
  | 'list'
  /** A list of ways to reach a person (VIAS). */
  | 'via'
  /** One of `enum`, literally. */
  | 'enum'
  /** The name of a rotation of nightshift.yaml. */
  | 'rotation'
  /** A mapping of names to templates (HTTP headers). */
  | 'template-map'
  /** Any JSON, with templates in its strings. */
  | 'templated-json'
  /** A whole number between `min` and `max`. */
  | 'count'
  /** A list of templates. */
  | 'template-list';

export interface KeySpec {
  type: ValueType;
  required?: boolean;
  /** `enum`: the values; `template`: the values a literal (template without expressions) must be. */
  enum?: readonly string[];
  /** What an absent key means (documentation; the kind's `build` applies it). */
  default?: string;
  /** A literal template's form: an http(s) URL, or a Defender `expires` (duration or ISO date). */
  format?: 'http-url' | 'expires';
  /** `list`: the keys of each item. */
  items?: Readonly<Record<string, KeySpec>>;
  /** `duration` inside a `list`: each item's value is greater than the previous item's. */
  increasing?: boolean;
  /** `duration` inside a `list`: each value is less than this key of the step (read before the list). */
  below?: string;
  /** `count`: the bounds. */
  min?: number;
  max?: number;
  doc: string;
}

/** The checked values of a step kind's keys: absent keys are absent, failed ones null. */
export type Values = Record<string, unknown>;

export interface StepKindSpec {
  doc: string;
  /** The IR kind it compiles to: the engine's handler (engine/steps/index.ts) that runs it. */
  ir: StepKindIR['kind'];
  keys: Readonly<Record<string, KeySpec>>;
  /** Groups of keys of which exactly one must be given: the message says what each is. */
  exactlyOne?: { keys: readonly [string, string]; message: string; fatal?: boolean };
  /** The kind may be given with no value at all (`defender.release:`). */
  allowEmpty?: boolean;
  /** The IR of the step, from its checked values; null when a value it needs failed. */
  build(v: Values): StepKindIR | null;
}

const template = (doc: string, more: Partial<KeySpec> = {}): KeySpec => ({ type: 'template', doc, ...more });

/** The comment a machine action gets when the playbook gives none (Defender requires one). */
export const DEFAULT_COMMENT =
  'nightshift ${{ playbook.name }} v${{ playbook.version }}: ${{ detection.id }}';

/** Defender step keys per action (all templates; enums hold for literal values). */
const DEFENDER: Record<DefenderAction, { doc: string; keys: Record<string, KeySpec> }> = {
  isolate: {
    doc: 'Isolate each device from the network (Defender machine action)',
    keys: {
      type: template('full or selective isolation', { enum: ['full', 'selective'] }),
      comment: template('the action comment'),
    },
  },
  release: { doc: 'Release each device from isolation', keys: { comment: template('the action comment') } },
  scan: {
    doc: 'Run an antivirus scan on each device',
    keys: {
      type: template('quick or full scan', { enum: ['quick', 'full'] }),
      comment: template('the action comment'),
    },
  },
  collect_package: {
    doc: 'Collect an investigation package from each device',
    keys: { comment: template('the action comment') },
  },
  restrict_apps: {
    doc: 'Restrict app execution on each device to Microsoft-signed code',
    keys: { comment: template('the action comment') },
  },
  unrestrict_apps: {
    doc: 'Lift the app restriction on each device',
    keys: { comment: template('the action comment') },
  },
  quarantine_file: {
    doc: 'Stop and quarantine a file on each device',
    keys: {
      sha1: template('SHA-1 of the file', { required: true }),
      comment: template('the action comment'),
    },
  },
  block_indicator: {
    doc: 'Submit (or update) a blocking indicator',
    keys: {
      type: template('indicator type', {
        required: true,
        enum: ['sha256', 'sha1', 'md5', 'ip', 'url', 'domain'],
      }),
      value: template('the hash, address, URL or domain', { required: true }),
      action: template('what Defender does', {
        required: true,
        enum: ['block', 'block_and_remediate', 'alert'],
      }),
      title: template('the indicator title', { required: true }),
      expires: template('a duration (30d) or an ISO-8601 date', { format: 'expires' }),
      comment: template('the indicator description'),
    },
  },
  update_alert: {
    doc: "Update the run's Defender alerts",
    keys: {
      status: template('alert status', { enum: ['New', 'InProgress', 'Resolved'] }),
      classification: template('alert classification', { enum: ALERT_CLASSIFICATIONS }),
      determination: template('alert determination'),
      comment: template('a comment added to each alert'),
    },
  },
};

function defenderKind(action: DefenderAction): StepKindSpec {
  const spec = DEFENDER[action];
  const perDevice = PER_DEVICE_DEFENDER_ACTIONS.includes(action);
  const keys = perDevice
    ? { ...spec.keys, comment: { ...spec.keys.comment, default: DEFAULT_COMMENT } }
    : spec.keys;
  return {
    doc: spec.doc,
    ir: 'defender',
    keys,
    allowEmpty: true,
    build: (v) => ({ kind: 'defender', action, params: v as Record<string, Template> }),
  };
}

/** The live response steps (issue 15 §4): a script shipped with Nightshift, run on each device. */
const LIVE_RESPONSE: Record<LiveResponseStepAction, { doc: string; keys: Record<string, KeySpec> }> = {
  kill_process: {
    doc: 'Kill a process by id on each device (live response script; exit code and output in the result)',
    keys: {
      process_id: template('the process id (a whole number)', { required: true }),
      process_name: template('the image name the process must have (refused otherwise)'),
      comment: template('the action comment', { default: DEFAULT_COMMENT }),
    },
  },
  delete_file: {
    doc: 'Delete a file by absolute path on each device (live response script; exit code and output in the result)',
    keys: {
      path: template('the absolute path of the file', { required: true }),
      sha256: template('the SHA-256 the file must have (refused otherwise)'),
      comment: template('the action comment', { default: DEFAULT_COMMENT }),
    },
  },
};

function liveResponseKind(action: LiveResponseStepAction): StepKindSpec {
  const spec = LIVE_RESPONSE[action];
  return {
    doc: spec.doc,
    ir: 'defender_live_response',
    keys: spec.keys,
    build: (v) =>
      (spec.keys.path ? v.path : v.process_id)
        ? { kind: 'defender_live_response', action, params: v as Record<string, Template> }
        : null,
  };
}

/** The Defender steps of issue 15 beyond machine actions: lookup, hunting, live response, incidents. */
const DEFENDER_DEPTH: Record<string, StepKindSpec> = {
  'defender.lookup': {
    doc: "Find each device's Defender machine (by id, host name or IP) and read what Defender knows of it into device.mde",
    ir: 'defender_lookup',
    keys: {},
    allowEmpty: true,
    build: () => ({ kind: 'defender_lookup' }),
  },
  'defender.hunt': {
    doc: 'Run an advanced-hunting KQL query (Microsoft Graph); rows in steps.<id>.rows, every ${{ }} value quoted as a KQL literal',
    ir: 'defender_hunt',
    keys: {
      query: template(
        'the KQL query; each ${{ expr }} becomes a KQL literal of its value (lists: comma-separated literals)',
        {
          required: true,
        },
      ),
      limit: {
        type: 'count',
        min: 1,
        max: HUNT_MAX_LIMIT,
        default: String(HUNT_DEFAULT_LIMIT),
        doc: 'most rows kept; more set truncated',
      },
      timespan: template('ISO 8601 duration or interval of the data searched (default: 30 days)'),
    },
    build: (v) =>
      v.query && v.limit !== null
        ? {
            kind: 'defender_hunt',
            query: v.query as Template,
            limit: (v.limit as number | undefined) ?? HUNT_DEFAULT_LIMIT,
            ...(v.timespan ? { timespan: v.timespan as Template } : {}),
          }
        : null,
  },
  'defender.kill_process': liveResponseKind('kill_process'),
  'defender.delete_file': liveResponseKind('delete_file'),
  'defender.update_incident': {
    doc: "Update the run's Defender XDR incidents (status, classification, determination, assignee, tags, comment)",
    ir: 'defender_update_incident',
    keys: {
      status: template('incident status', { enum: Object.keys(INCIDENT_STATUS) }),
      classification: template('incident classification', { enum: Object.keys(INCIDENT_CLASSIFICATION) }),
      determination: template('incident determination (needs a classification)'),
      assigned_to: template('who the incident is assigned to'),
      tags: { type: 'template-list', doc: 'tags added (the incident keeps its others)' },
      comment: template('a comment added to the incident'),
    },
    build: (v) => {
      const { tags, ...params } = v;
      return {
        kind: 'defender_update_incident',
        params: params as Record<string, Template>,
        ...(Array.isArray(tags) ? { tags: tags as Template[] } : {}),
      };
    },
  },
};

export const STEP_KINDS: Readonly<Record<string, StepKindSpec>> = {
  notify: {
    doc: 'Send a message to channels and people',
    ir: 'notify',
    keys: {
      to: { type: 'targets', required: true, doc: 'channels, people and groups' },
      message: template('the message', { required: true }),
      title: template('a title'),
    },
    build: (v) =>
      v.to && v.message
        ? {
            kind: 'notify',
            to: v.to as Target[],
            message: v.message as Template,
            ...(v.title ? { title: v.title as Template } : {}),
          }
        : null,
  },
  approval: {
    doc: 'Ask for a decision and wait for an allowed approver or the timeout',
    ir: 'approval',
    keys: {
      ask: { type: 'targets', required: true, doc: 'who is asked: channels, people, groups and rotations' },
      approvers: {
        type: 'approvers',
        required: true,
        doc: 'who may decide: people, groups and rotations (whoever is on call when asked)',
      },
      question: template('the question', { required: true }),
      timeout: { type: 'duration', required: true, doc: 'how long to wait for a decision, stages included' },
      on_timeout: {
        type: 'enum',
        enum: ['approved', 'denied'],
        default: 'denied',
        doc: 'the decision when nobody answers in time',
      },
      via: { type: 'via', doc: 'extension: how people in `ask` are reached, each way at once' },
      escalate: {
        type: 'list',
        doc: 'extension: stages that ask more people, louder, while nobody has decided',
        items: {
          after: {
            type: 'duration',
            required: true,
            increasing: true,
            below: 'timeout',
            doc: 'when the stage starts, counted from the question (each later than the one before)',
          },
          to: {
            type: 'people-targets',
            default: 'the approvers',
            doc: 'who is asked and may decide from then on: people, groups and rotations',
          },
          via: { type: 'via', doc: "how the stage's people are reached, each way at once" },
          if: { type: 'condition', doc: 'CEL, evaluated when the stage is due: false skips the stage' },
        },
      },
    },
    build: (v) => {
      const approvers = v.approvers as { people: string[]; rotations: string[] } | null | undefined;
      if (!v.ask || !approvers || !v.question || v.timeout === null || v.timeout === undefined) return null;
      if (v.escalate === null) return null;
      const stages = (v.escalate as Values[] | undefined)?.map((st): EscalationStageIR => ({
        afterMs: st.after as number,
        ...(st.to ? { to: st.to as Target[] } : {}),
        ...(st.via ? { via: st.via as Array<(typeof VIAS)[number]> } : {}),
        ...(st.if ? { if: st.if as Expr } : {}),
      }));
      return {
        kind: 'approval',
        ask: v.ask as Target[],
        approvers: approvers.people,
        ...(approvers.rotations.length ? { approverRotations: approvers.rotations } : {}),
        question: v.question as Template,
        timeoutMs: v.timeout as number,
        onTimeout: ((v.on_timeout as string | null | undefined) ?? 'denied') as 'approved' | 'denied',
        ...(v.via ? { via: v.via as Array<(typeof VIAS)[number]> } : {}),
        ...(stages?.length ? { escalate: stages } : {}),
      };
    },
  },
  page: {
    doc: 'Page the on-call (or people) until someone acknowledges; escalate once',
    ir: 'page',
    keys: {
      rotation: { type: 'rotation', doc: 'page whoever is on call in this rotation' },
      to: { type: 'people-targets', doc: 'or page these people, groups and rotations' },
      via: { type: 'via', required: true, doc: 'every way each person is reached' },
      message: template('the page', { required: true }),
      ack_timeout: { type: 'duration', required: true, doc: 'how long to wait for an acknowledgement' },
      escalate_to: { type: 'people', default: '[]', doc: 'who is paged next when nobody acknowledged' },
    },
    exactlyOne: { keys: ['rotation', 'to'], message: "needs exactly one of 'rotation' or 'to'" },
    build: (v) =>
      v.message && v.ack_timeout !== null && v.ack_timeout !== undefined && v.escalate_to !== null
        ? {
            kind: 'page',
            ...(typeof v.rotation === 'string' ? { rotation: v.rotation } : {}),
            ...(v.to ? { to: v.to as Target[] } : {}),
            via: (v.via ?? []) as Array<(typeof VIAS)[number]>,
            message: v.message as Template,
            ackTimeoutMs: v.ack_timeout as number,
            escalateTo: (v.escalate_to ?? []) as string[],
          }
        : null,
  },
  wait: {
    doc: 'Wait for a duration, or until an instant',
    ir: 'wait',
    keys: {
      for: { type: 'duration', doc: 'how long' },
      until: { type: 'timestamp-expr', doc: 'a CEL expression giving the instant' },
    },
    exactlyOne: {
      keys: ['for', 'until'],
      message: "needs exactly one of 'for' (a duration) or 'until' (a timestamp expression)",
      fatal: true,
    },
    build: (v) =>
      'for' in v
        ? v.for === null
          ? null
          : { kind: 'wait', forMs: v.for as number }
        : v.until
          ? { kind: 'wait', until: v.until as never }
          : null,
  },
  webhook: {
    doc: 'Call an HTTP endpoint; a non-2xx answer fails the step',
    ir: 'webhook',
    keys: {
      url: template('the URL', { required: true, format: 'http-url' }),
      method: {
        type: 'enum',
        enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
        default: 'POST',
        doc: 'the HTTP method',
      },
      headers: { type: 'template-map', doc: 'request headers (templates)' },
      body: { type: 'templated-json', doc: 'the JSON body (templates in its strings)' },
    },
    build: (v) =>
      v.url
        ? {
            kind: 'webhook',
            url: v.url as Template,
            method: ((v.method as string | null | undefined) ?? 'POST') as
              'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
            headers: (v.headers ?? {}) as Record<string, Template>,
            ...(v.body ? { body: v.body as TemplatedJson } : {}),
          }
        : null,
  },
  ...Object.fromEntries(
    (Object.keys(DEFENDER) as DefenderAction[]).map((a) => [`defender.${a}`, defenderKind(a)]),
  ),
  ...DEFENDER_DEPTH,
};

/** Every step kind's name, in table order ("notify", …, "defender.update_alert"). */
export const KINDS = Object.keys(STEP_KINDS);
