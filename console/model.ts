// What the pages show: plain data the server gathers (from Temporal, the registry, nightshift.yaml) and
// the pages render. Nothing here reads anything; a page is a function of its model.

import { CONSOLE_ROLES, type ConsoleRole } from '../core/ir';

/** Console roles (nightshift.yaml `roles:`), in increasing power. */
export const ROLES = CONSOLE_ROLES;
export type Role = ConsoleRole;

/**
 * What each role may do. Answering an approval is further decided by the run's own validator (only
 * its approvers may), exactly as for every other channel; the role only opens the door.
 */
const MIN_ROLE = {
  read: 'viewer',
  answer: 'responder',
  release: 'responder',
  simulate: 'responder',
  cancel: 'admin',
} as const satisfies Record<string, Role>;
export type Permission = keyof typeof MIN_ROLE;

export function can(role: Role, what: Permission): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(MIN_ROLE[what]);
}

export interface Viewer {
  personId: string;
  name: string;
  role: Role;
  /** The anti-CSRF token every form of this session carries. */
  csrf: string;
  via: 'oidc' | 'link';
}

export interface DeviceView {
  id: string;
  name: string;
  os?: string;
  ip?: string;
  tags: string[];
  /** policy.protected_devices holds for it (never isolated automatically). */
  protected: boolean;
}

export interface AskedView {
  /** A person's name or a channel id. */
  who: string;
  /** slack, sms, voice, email, teams. */
  channel: string;
  delivered: boolean;
  dryRun: boolean;
  error?: string;
}

/** An approval or page waiting for an answer. */
export interface WaitingItem {
  kind: 'approval' | 'page';
  id: string;
  runId: string;
  playbook: string;
  stepId: string;
  /** The question, or the page's message. */
  text: string;
  code: string;
  severity?: string;
  detectionTitle?: string;
  devices: DeviceView[];
  askedAt: string;
  /** When the approval times out, or the page's current round ends. */
  deadline?: string;
  /** What happens then, in words ("isolation approved automatically"). */
  onDeadline: string;
  asked: AskedView[];
  /** Names of the people who may answer (with escalation: of every stage reached so far). */
  answerers: string[];
  /** An escalating approval's stages (issue 14), the first ask included, in order. */
  stages?: StageView[];
  /** Automatic isolations still allowed by policy.max_auto_isolations, when the policy is set. */
  budget?: { left: number; limit: number; per: string };
  /** The signed-in person may answer it. */
  mine: boolean;
}

export interface StageView {
  stage: number;
  /** When it started (asked, skipped) or is due (pending). */
  at: string;
  status: 'pending' | 'asked' | 'skipped';
  /** Names of who it asked, or will ask (a rotation's on-call at the stage's time). */
  people: string[];
  via?: string[];
}

export interface RunRow {
  workflowId: string;
  playbook?: string;
  /** Temporal's status, lower case: running, completed, failed, terminated, cancelled, timed_out. */
  status: string;
  outcome?: string;
  detectionIds: string[];
  incidentId?: string;
  deviceIds: string[];
  waiting: boolean;
  startedAt: string;
  closedAt: string | null;
}

export interface RunFilters {
  status?: string;
  playbook?: string;
  device?: string;
  incident?: string;
  detection?: string;
  waiting?: string;
  since?: string;
}

export interface StepView {
  id: string;
  name?: string;
  /** notify, approval, page, wait, defender.isolate, webhook, … */
  kind: string;
  status: string;
  startedAt?: string;
  finishedAt?: string;
  reason?: string;
  /** Other result fields, as label/value pairs. */
  detail: Array<[string, string]>;
}

export type TimelineKind =
  'run' | 'detection' | 'step' | 'message' | 'decision' | 'ack' | 'defender' | 'webhook' | 'cancel';

export interface TimelineEntry {
  at: string;
  kind: TimelineKind;
  text: string;
  /** A person's name, when a person did it. */
  who?: string;
  channel?: string;
  /** The approval or page it concerns (its anchor on the page). */
  anchor?: string;
  /** Something went wrong (a failed delivery, a failed action). */
  bad?: boolean;
}

export interface DetectionView {
  id: string;
  title: string;
  severity: string;
  status: string;
  source: string;
  detectedAt: string;
  category?: string;
  /** The detection's own link (from the sender), shown as text: it is not ours. */
  url?: string;
  alerts: Array<{ id: string; portal?: string }>;
  incident?: { id: string; portal?: string };
}

export interface DefenderActionView {
  at: string;
  stepId: string;
  action: string;
  device?: string;
  actionId?: string;
  status: string;
  dryRun: boolean;
  /** An already pending action of the same kind was reused. */
  attached: boolean;
}

export interface AnsweredView {
  kind: 'approval' | 'page';
  id: string;
  text: string;
  outcome: string;
  /** Name, or null when the timeout decided. */
  by: string | null;
  channel: string;
  at: string;
}

export interface Story {
  workflowId: string;
  playbook: string;
  version?: number;
  hash?: string;
  status: string;
  outcome?: string;
  startedAt: string;
  closedAt: string | null;
  groupKey?: string;
  currentStep?: string | null;
  steps: StepView[];
  timeline: TimelineEntry[];
  waiting: WaitingItem[];
  answered: AnsweredView[];
  devices: DeviceView[];
  users: Array<{ name: string; domain?: string; upn?: string }>;
  detections: DetectionView[];
  evidence: {
    files: Array<Record<string, string>>;
    processes: Array<Record<string, string>>;
    ips: string[];
    urls: string[];
  };
  mitre: string[];
  defender: DefenderActionView[];
  cancelled?: { by: string; at: string; reason: string };
  /** The run's state could not be read live (no worker answered): shown from its history only. */
  partial?: string;
}

export interface ContainedDevice {
  deviceId: string;
  name?: string;
  /** isolate or restrict_apps. */
  action: string;
  since: string;
  runId: string;
  playbook?: string;
  actionId?: string;
  dryRun: boolean;
  /** A release (or unrestrict) of it that has been asked and not finished. */
  releasing?: { by: string; at: string };
  protected?: boolean;
  tags: string[];
}

export interface PlaybookRow {
  name: string;
  version: number;
  hash: string;
  enabled: boolean;
  file: string;
  description?: string;
}

export interface ReloadView {
  at: string;
  ok: boolean;
  /** Files refused at the last (re)load, with their `file:line:col` diagnostics. */
  refused: Array<{ file: string; diagnostics: string[] }>;
  warnings: string[];
}

export interface OnCallView {
  rotations: Array<{ name: string; personId: string; person: string; until: string | null; next?: string }>;
  calendars: Array<{ name: string; timezone: string; open: boolean; nextChange: string | null }>;
  now: string;
}

export const AUDIT_KINDS = ['decision', 'ack', 'release', 'unrestrict', 'cancel'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

/** One line of the audit: who did what, when, through which channel. */
export interface AuditEntry {
  at: string;
  kind: AuditKind;
  /** Person id; empty when nobody did it (an approval decided by its timeout). */
  personId: string;
  person: string;
  /** approved, denied, acknowledged, requested, succeeded, failed, cancelled. */
  outcome: string;
  channel: string;
  /** The playbook run, or the release's own workflow (its story is that of the run that contained). */
  runId: string;
  /** Releases: the playbook run that contained the device, when known. */
  containedBy?: string;
  /** The approval, page or device concerned. */
  subject: string;
  /** The question, the page message, or the reason given. */
  detail: string;
}
