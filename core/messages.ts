// The payloads of the playbook-run workflow's messages (Updates, Signals, the state Query), and the
// interaction ids people's answers carry. Pure: the workflow, the server and the CLI share them; the
// define* calls themselves are workflows/messages.ts.
import type { DeviceEnrichment, IncidentSummary } from './defender-effects';
import type { Decision } from './effects';

/** The workflow type name of a playbook run. */
export const PLAYBOOK_RUN_WORKFLOW = 'playbookRun';

export interface DecideInput {
  approvalId: string;
  /** Person id from nightshift.yaml, already authenticated and mapped by the caller. */
  personId: string;
  outcome: 'approved' | 'denied';
  /** Channel the answer came through: slack, sms, voice, email, teams, api, simulate. */
  channel: string;
}

export interface AckInput {
  pageId: string;
  personId: string;
  channel: string;
}

export interface Ack {
  ackedBy: string;
  ackedAt: string;
  channel: string;
}

export type AttachResult = 'attached' | 'duplicate';
export type { Decision };

export interface PendingApproval {
  approvalId: string;
  stepId: string;
  code: string;
  question: string;
  /** Who may decide now: the approvers, and the people of every escalation stage reached so far. */
  approvers: string[];
  askedAt: string;
  expiresAt: string;
  /** Escalation (absent for an approval without `escalate`): the stage reached, 0 being the first ask. */
  stage?: number;
  /** When the next stage is due; absent at the last stage. */
  nextStageAt?: string;
  /** Every stage, the first ask included, in order. */
  stages?: ApprovalStage[];
}

/** A stage of an escalating approval, as the run state shows it. */
export interface ApprovalStage {
  stage: number;
  /** When it started (`asked`, `skipped`), or is due (`pending`). */
  at: string;
  status: 'pending' | 'asked' | 'skipped';
  /** Who it asked; for a pending stage, who it will ask (a rotation's on-call at the stage's time). */
  people: string[];
  /** How its people are reached (absent: their best channel). */
  via?: string[];
}

export interface PendingPage {
  pageId: string;
  stepId: string;
  code: string;
  paged: string[];
  pagedAt: string;
}

/**
 * An approval or page already answered (or decided by its timeout). Kept in the run's state with its
 * code, so a late answer — the loser of a race between two channels — is told who answered first.
 */
export interface AnsweredInteraction {
  kind: 'approval' | 'page';
  id: string;
  code: string;
  /** Who could answer it: the approvers, or the people paged. */
  people: string[];
  outcome: 'approved' | 'denied' | 'acknowledged';
  /** Person id; null when the approval's timeout decided. */
  by: string | null;
  channel: string;
  at: string;
}

/** What a late answer is told: "already approved by Ana Ruiz via slack". */
export function alreadyAnswered(
  a: Pick<AnsweredInteraction, 'outcome' | 'by' | 'channel'>,
  name: (personId: string) => string,
): string {
  if (!a.by) return `already ${a.outcome} automatically: nobody answered in time`;
  return `already ${a.outcome} by ${name(a.by)} via ${a.channel}`;
}

export interface RunEffect {
  at: string;
  kind: string;
  target?: string;
  device?: string;
  detail?: Record<string, unknown>;
}

export interface RunState {
  playbook: string;
  version: number;
  hash: string;
  status: 'running' | 'completed' | 'failed';
  currentStep: string | null;
  detectionIds: string[];
  deviceIds: string[];
  pendingApprovals: PendingApproval[];
  pendingPages: PendingPage[];
  /** Approvals and pages already answered (absent from runs that report none). */
  answered?: AnsweredInteraction[];
  /**
   * Every step in order: its result once it ran; while it runs `status: 'running'` with `started_at`,
   * `waiting_for` and the pending Defender `actions` (engine/live-steps.ts); `pending` before it
   * starts, `skipped` if the run ended without it.
   */
  steps: Array<Record<string, unknown>>;
  effects: RunEffect[];
  /**
   * Defender's machines of the run's devices, by device id, once looked up (`device.mde`; docs/defender.md
   * "Machine lookup"). Absent from runs that looked none up.
   */
  machines?: Record<string, DeviceEnrichment>;
  /** The run's Defender XDR incidents as read (docs/defender.md "Incidents"); absent when none. */
  incidents?: IncidentSummary[];
  /** Incidents that could not be read, and why. */
  incidentErrors?: Array<{ id: string; error: string }>;
  /** The alert sync at the end of the run (`alert_sync:`), once done. */
  alertSync?: { status: 'succeeded' | 'failed' | 'dry_run'; alerts: number; error?: string };
}

/**
 * Approval and page ids are `<workflowId>|<stepId>|<n>`: the server finds the run from the id alone
 * (a Slack button value, a signed link, a Twilio callback) without a lookup table.
 */
export function interactionId(workflowId: string, stepId: string, n: number): string {
  return `${workflowId}|${stepId}|${n}`;
}

/** The workflow id inside an approval or page id, or null if the id is malformed. */
export function workflowIdOf(interaction: string): string | null {
  const last = interaction.lastIndexOf('|');
  if (last <= 0) return null;
  const prev = interaction.lastIndexOf('|', last - 1);
  if (prev <= 0 || !/^\d+$/.test(interaction.slice(last + 1))) return null;
  return interaction.slice(0, prev);
}
