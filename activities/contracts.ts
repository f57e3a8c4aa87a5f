// The activity interfaces the interpreter calls. Types only: the workflow bundle imports them with
// `import type`, and each implementation (real, dry-run, or recorded by `simulate`) satisfies them.
// Every request carries an idempotency `key`, stable across activity retries and workflow replays,
// so a retried activity never isolates twice, sends two pages or posts two approval messages.
import type { ChannelIR, DefenderAction, PersonIR } from '../compiler/ir';

/** Task queues. Defender calls have their own so one Temporal rate limit holds across all workers. */
export const TASK_QUEUE = 'nightshift';
export const DEFENDER_TASK_QUEUE = 'nightshift-defender';

/**
 * Heartbeat timeout of Defender and channel activities. They heartbeat while they run
 * (activities/keep-alive.ts), so a worker that dies mid-activity (kill -9) is noticed this long after its
 * last heartbeat and the attempt retried on another worker, instead of after a start-to-close timeout.
 */
export const ACTIVITY_HEARTBEAT_TIMEOUT_MS = 5_000;

/** The Defender task queue that serves a main task queue (`nightshift` → `nightshift-defender`). */
export function defenderTaskQueue(mainTaskQueue: string): string {
  return `${mainTaskQueue}-defender`;
}

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
  via?: 'sms' | 'voice' | 'slack' | 'email';
}

/** A posted message that can be updated later (Slack ts, email Message-ID, …). */
export interface PostedMessage {
  channel: 'slack' | 'teams' | 'email' | 'sms' | 'voice';
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
  via: 'sms' | 'voice' | 'slack' | 'email';
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
