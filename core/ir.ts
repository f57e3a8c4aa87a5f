// The IR: what the compiler produces and the interpreter runs. It is the contract between them
// (design principle 2): JSON-serialisable, versioned, hashed, and pinned into every run's input.
// Types and constants only, so the workflow bundle can import it. The detection is core/detection.ts.

import type { Via } from './channels';

export const IR_VERSION = 1;

/** Milliseconds. Durations are resolved at compile time ("15m" → 900000). */
export type DurationMs = number;

/** A CEL expression, already parsed and type-checked by the compiler. */
export interface Expr {
  src: string;
  /** Where it came from, for runtime error messages: "playbooks/x.yaml:12:9". */
  at: string;
}

/** A `${{ expr }}` template, split into literal text and expressions at compile time. */
export interface Template {
  parts: Array<string | Expr>;
  at: string;
}

/** A value in a webhook body: templates inside arbitrary JSON. */
export type TemplatedJson =
  | { t: 'template'; v: Template }
  | { t: 'literal'; v: string | number | boolean | null }
  | { t: 'array'; v: TemplatedJson[] }
  | { t: 'object'; v: Array<[string, TemplatedJson]> };

// ---------------------------------------------------------------------------------------------
// nightshift.yaml

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** A local wall-clock window in minutes after local midnight. `to <= from` means it spans midnight. */
export interface WindowIR {
  from: number;
  to: number;
}

export interface CalendarIR {
  timezone: string;
  weekly: Partial<Record<Weekday, WindowIR[]>>;
  /**
   * Closed local dates (YYYY-MM-DD), sorted: the explicit `holidays` plus, when `holiday_calendar` is
   * set, that region's public holidays expanded by the compiler for a fixed span of years. Expanding at
   * compile time keeps the workflow deterministic and independent of the holiday library's version.
   */
  holidays: string[];
  holidayCalendar?: string;
}

export interface PersonIR {
  id: string;
  name: string;
  slack?: string;
  phone?: string;
  email?: string;
  /** Console sign-in: the OIDC claim value (UPN, object id, subject) naming them, when not their email. */
  login?: string;
}

export interface RotationIR {
  timezone: string;
  every: { unit: 'd' | 'w'; n: number };
  /** Local date-time of the first handoff, "YYYY-MM-DDTHH:mm". */
  handoff: string;
  members: string[];
  /** Local date-times "YYYY-MM-DDTHH:mm", half-open [from, to). */
  overrides: Array<{ person: string; from: string; to: string }>;
}

/** A secret never enters the IR (it would be written to workflow history); only its env var's name. */
export type SecretRef = { env: string } | { value: string };

export type ChannelIR =
  | { kind: 'slack'; channel: string }
  | { kind: 'teams'; webhook: SecretRef }
  | { kind: 'email'; to: string[] };

export interface PolicyIR {
  /** CEL over `device`; absent = nothing is protected. */
  protectedDevices?: Expr;
  maxAutoIsolations?: { count: number; perMs: DurationMs };
}

/** Roles of the responder console, in increasing power (nightshift.yaml `roles:`). */
export const CONSOLE_ROLES = ['viewer', 'responder', 'admin'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

export interface OrgIR {
  irVersion: number;
  calendars: Record<string, CalendarIR>;
  people: Record<string, PersonIR>;
  rotations: Record<string, RotationIR>;
  /** Group id → person ids. */
  groups: Record<string, string[]>;
  channels: Record<string, ChannelIR>;
  policy: PolicyIR;
  /** Console roles → person ids (groups expanded). Absent: every person is a responder. */
  roles?: Partial<Record<ConsoleRole, string[]>>;
  /** sha256 (hex) of the canonical form of everything above. */
  hash: string;
}

// ---------------------------------------------------------------------------------------------
// playbooks/*.yaml

export type GroupBy = 'detection' | 'incident' | 'device';

/**
 * A recipient of a notify/approval/page. Groups are kept (for display) and expanded by the runtime; a
 * rotation (extension) is the person on call when the message is sent.
 */
export type Target =
  | { type: 'channel'; id: string }
  | { type: 'person'; id: string }
  | { type: 'group'; id: string }
  | { type: 'rotation'; id: string };

/**
 * A stage of an escalating approval (extension): `afterMs` after the question was asked, unless the
 * approval is decided or `if` is false then, its people are asked and may decide from then on.
 */
export interface EscalationStageIR {
  afterMs: DurationMs;
  /** People, groups and rotations (on call at the stage's start); absent: the approval's approvers. */
  to?: Target[];
  /** How the stage's people are reached, each way at once; absent: the approval's `via`, else best channel. */
  via?: Via[];
  /** Evaluated when the stage is due (`now` is then); false skips the stage. */
  if?: Expr;
}

export type DefenderAction =
  | 'isolate'
  | 'release'
  | 'scan'
  | 'collect_package'
  | 'restrict_apps'
  | 'unrestrict_apps'
  | 'quarantine_file'
  | 'block_indicator'
  | 'update_alert';

/** Defender actions that act on each device of the run (the others act once per step/element). */
export const PER_DEVICE_DEFENDER_ACTIONS: readonly DefenderAction[] = [
  'isolate',
  'release',
  'scan',
  'collect_package',
  'restrict_apps',
  'unrestrict_apps',
  'quarantine_file',
];

/** Live response actions of the shipped scripts (integrations/defender/scripts/). */
export type LiveResponseStepAction = 'kill_process' | 'delete_file';

/**
 * Default and largest `limit` of a defender.hunt step: the API returns up to 100,000 rows, but the rows
 * are a step result kept in the workflow's history, so a hunt keeps few.
 */
export const HUNT_DEFAULT_LIMIT = 100;
export const HUNT_MAX_LIMIT = 1_000;

export type StepKindIR =
  | { kind: 'notify'; to: Target[]; message: Template; title?: Template }
  | {
      kind: 'approval';
      ask: Target[];
      /** Person ids allowed to decide (groups expanded by the compiler). */
      approvers: string[];
      /** Extension: rotations in `approvers`: whoever is on call when asked (and at each stage) may decide. */
      approverRotations?: string[];
      question: Template;
      timeoutMs: DurationMs;
      onTimeout: 'approved' | 'denied';
      /**
       * Extension: how people named in `ask` are reached (each way at once), e.g. [sms, voice] for a
       * call with "press 1 to approve, 2 to deny". Absent: each person's best configured channel.
       */
      via?: Via[];
      /** Extension: stages, in increasing `afterMs`, all below `timeoutMs`. */
      escalate?: EscalationStageIR[];
    }
  | {
      kind: 'page';
      rotation?: string;
      to?: Target[];
      via: Via[];
      message: Template;
      ackTimeoutMs: DurationMs;
      /** Person ids (groups expanded by the compiler). */
      escalateTo: string[];
    }
  | { kind: 'wait'; forMs?: DurationMs; until?: Expr }
  | {
      kind: 'defender';
      action: DefenderAction;
      /** Step keys other than the common ones (`type`, `comment`, `sha1`, `value`, …), as templates. */
      params: Record<string, Template>;
    }
  | {
      /** defender.lookup: find and enrich each device of the run (issue 15 §1-2). */
      kind: 'defender_lookup';
    }
  | {
      /** defender.hunt: an advanced-hunting query whose `${{ }}` holes become KQL literals. */
      kind: 'defender_hunt';
      /** The query; each expression's value is quoted as a KQL literal by the activity, never spliced. */
      query: Template;
      /** Most rows kept (`steps.<id>.rows`); more are cut and `truncated` is set. */
      limit: number;
      /** ISO 8601 duration or interval (Graph `Timespan`). */
      timespan?: Template;
    }
  | {
      /** defender.kill_process / defender.delete_file: a shipped live response script on each device. */
      kind: 'defender_live_response';
      action: LiveResponseStepAction;
      params: Record<string, Template>;
    }
  | {
      /** defender.update_incident: PATCH the run's Defender incidents. */
      kind: 'defender_update_incident';
      params: Record<string, Template>;
      /** Tags added (the incident keeps its others). */
      tags?: Template[];
    }
  | {
      kind: 'webhook';
      url: Template;
      method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
      headers: Record<string, Template>;
      body?: TemplatedJson;
    };

/** Alert classifications of update_alert and alert_sync (reference §6.4). */
export const ALERT_CLASSIFICATIONS = [
  'TruePositive',
  'InformationalExpectedActivity',
  'FalsePositive',
] as const;

export interface AlertSyncIR {
  /** Alert classification on a completed run (absent: left as it is). */
  classification?: (typeof ALERT_CLASSIFICATIONS)[number];
  /** Alert determination on a completed run (absent: left as it is). */
  determination?: string;
}

export interface StepIR {
  id: string;
  name?: string;
  if?: Expr;
  forEach?: Expr;
  timeoutMs?: DurationMs;
  continueOnError: boolean;
  /** "playbooks/x.yaml:12:5" — the step's position, for messages. */
  at: string;
  run: StepKindIR;
}

export interface PlaybookIR {
  irVersion: number;
  name: string;
  version: number;
  description?: string;
  enabled: boolean;
  /** The file it was compiled from, as given to the compiler. */
  file: string;
  on: { when: Expr; groupBy: GroupBy };
  steps: StepIR[];
  /**
   * Extension `alert_sync:` (issue 15 §5): when the run ends, every Defender alert of the run is
   * updated — resolved (completed) or left in progress (failed) — with the run's outcome as a comment.
   */
  alertSync?: AlertSyncIR;
  /** sha256 (hex) of the canonical form of everything above except `file` and the `at` positions. */
  hash: string;
}
