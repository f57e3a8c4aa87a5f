// The engine's port: every effect the interpreter asks for, as requests and results, and the activity
// interfaces that carry them out (real, dry-run, or recorded by `simulate`). Types only (and a few
// constants): the workflow bundle imports it. Every request carries an idempotency `key` (engine/keys.ts),
// stable across activity retries and workflow replays, so a retried activity never isolates twice,
// sends two pages or posts two approval messages.
import type { ChannelKind, Via } from './channels';
import type { Detection } from './detection';
import type { ChannelIR, DefenderAction, PersonIR } from './ir';

/** Where an effect came from; shown in messages and logs. */
export interface RunRef {
  workflowId: string;
  playbook: string;
  playbookVersion: number;
  stepId: string;
  detectionId: string;
}

// ---------------------------------------------------------------------------------------------
// Defender

/** Machine action states of the Defender API (reference/defender-api.md). */
export type MachineActionStatus = 'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'TimeOut' | 'Cancelled';
export const FINAL_MACHINE_ACTION_STATES: readonly MachineActionStatus[] = [
  'Succeeded',
  'Failed',
  'TimeOut',
  'Cancelled',
];

export interface DefenderSubmitRequest {
  key: string;
  run: RunRef;
  action: DefenderAction;
  /** Machine id, for per-device actions. */
  machineId?: string;
  /** Alert ids, for update_alert. */
  alertIds?: string[];
  /** Rendered step parameters: type, comment, sha1, value, action, title, expires, status, classification, determination. */
  params: Record<string, string>;
}

export interface DefenderSubmitResult {
  /** Machine action id (per-device actions). */
  actionId?: string;
  /** Indicator id (block_indicator). */
  indicatorId?: string;
  /** Current state of the machine action; final for non-machine actions ('Succeeded'). */
  status: MachineActionStatus;
  /** True when an already pending action of the same type was found and reused. */
  attached: boolean;
  /** True when no Defender tenant is configured and nothing was called. */
  dryRun: boolean;
}

export interface DefenderPollRequest {
  actionId: string;
  machineId: string;
}

export interface DefenderActivities {
  defenderSubmit(req: DefenderSubmitRequest): Promise<DefenderSubmitResult>;
  /** Current status of a machine action. */
  defenderPoll(req: DefenderPollRequest): Promise<{ status: MachineActionStatus }>;
}

// ---------------------------------------------------------------------------------------------
// Channels

/** A resolved recipient: a channel of nightshift.yaml or a person (reached on their own addresses). */
export type Recipient =
  { type: 'channel'; id: string; channel: ChannelIR } | { type: 'person'; person: PersonIR };

export interface NotifyRequest {
  key: string;
  run: RunRef;
  to: Recipient;
  title?: string;
  message: string;
}

export interface ApprovalAskRequest {
  key: string;
  run: RunRef;
  approvalId: string;
  /** Short numeric code people type in SMS replies ("YES 4821"). */
  code: string;
  to: Recipient;
  question: string;
  approvers: PersonIR[];
  expiresAt: string;
  /** For a person: the way to reach them (the approval's `via`); absent = their best configured channel. */
  via?: Via;
}

/** A posted message that can be updated later (Slack ts, email Message-ID, …). */
export interface PostedMessage {
  channel: ChannelKind;
  target: string;
  ref?: string;
  dryRun: boolean;
}

export interface Decision {
  outcome: 'approved' | 'denied';
  /** Person id, or null when the approval timed out. */
  decidedBy: string | null;
  decidedAt: string;
  /** Channel the answer came through ('slack', 'sms', 'voice', 'email', 'teams', 'api', 'timeout'). */
  channel: string;
  timedOut: boolean;
}

export interface ApprovalResolvedRequest {
  key: string;
  run: RunRef;
  approvalId: string;
  question: string;
  decision: Decision;
  messages: PostedMessage[];
}

export interface PageRequest {
  key: string;
  run: RunRef;
  pageId: string;
  code: string;
  person: PersonIR;
  via: Via;
  message: string;
}

export interface ChannelActivities {
  notify(req: NotifyRequest): Promise<PostedMessage>;
  askApproval(req: ApprovalAskRequest): Promise<PostedMessage>;
  /** Shows the decision on every message of the approval (buttons removed). */
  approvalResolved(req: ApprovalResolvedRequest): Promise<void>;
  page(req: PageRequest): Promise<PostedMessage>;
}

// ---------------------------------------------------------------------------------------------
// Webhook

export interface WebhookRequest {
  key: string;
  run: RunRef;
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: unknown;
}

export interface WebhookResult {
  httpStatus: number;
  body: unknown;
}

export interface WebhookActivities {
  webhook(req: WebhookRequest): Promise<WebhookResult>;
}

export type NightshiftActivities = DefenderActivities & ChannelActivities & WebhookActivities;

// ---------------------------------------------------------------------------------------------
// Blast radius (the deployment-wide limit of automatic isolations, spec §2)

export interface ReserveIsolationRequest {
  key: string;
  deviceId: string;
  workflowId: string;
  limit: number;
  windowMs: number;
}

export interface BlastRadiusActivities {
  /** Starts the deployment's blast-radius entity if it is not running (runs then ask it by signal). */
  ensureBlastRadius(): Promise<void>;
  /** Kept for runs recorded before the signal protocol (they replay these activities). */
  reserveIsolation(req: ReserveIsolationRequest): Promise<boolean>;
  releaseIsolation(req: { key: string }): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Intake: the Defender alert poller reads alerts (Defender queue) and hands confirmed ones to intake

export interface FetchAlertsRequest {
  /** ISO timestamp: alerts with lastUpdateTime >= since. */
  since: string;
  skip: number;
  top: number;
  /** CEL over `alert` (the API object) and `detection` (normalized); default DEFAULT_CONFIRM_RULE. */
  rule?: string;
}

export interface AlertEntry {
  /** `${id}|${lastUpdateTime}`: the idempotency key of this version of the alert. */
  key: string;
  lastUpdateTime: string;
}

export interface FetchAlertsResult {
  /** Alerts on the page as returned (a page shorter than `top` is the last one). */
  count: number;
  entries: AlertEntry[];
  confirmed: Array<{ key: string; detection: Detection }>;
  /** Alerts whose rule evaluation failed (treated as not confirmed, logged). */
  ruleErrors: number;
}

export interface DefenderAlertActivities {
  defenderFetchAlerts(req: FetchAlertsRequest): Promise<FetchAlertsResult>;
}

/** Starts or attaches playbook runs for detections (the same path as POST /v1/detections). */
export interface IntakeActivities {
  /**
   * `meta.keys[i]` is the idempotency key of `detections[i]` (Defender: `${alertId}|${lastUpdateTime}`),
   * stable across retries, restarts and continue-as-new. A retried call carries the same detections and keys.
   */
  intakeDetections(
    detections: Detection[],
    meta?: { source: 'defender'; keys: string[] },
  ): Promise<{ accepted: number }>;
}

/** The smallest end-to-end slice (workflows/smoke.ts): proves worker, server and activities are wired. */
export interface SmokeActivities {
  ping(message: string): Promise<string>;
}
