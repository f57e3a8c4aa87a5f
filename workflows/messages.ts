// Messages of the playbook-run workflow, shared by the workflow, the server and the CLI.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Detection } from '../compiler/ir';
import type { Decision } from '../activities/contracts';

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

/**
 * Decide a pending approval. The validator refuses (leaving nothing in history) an unknown or
 * already-decided approval and a person who is not an allowed approver. Returns the decision in force.
 */
export const decideUpdate = defineUpdate<Decision, [DecideInput]>('decide');

/** Acknowledge a pending page. Same validation rules as `decide`. */
export const ackUpdate = defineUpdate<{ ackedBy: string; ackedAt: string; channel: string }, [AckInput]>(
  'ack',
);

/**
 * A further detection of the same group key joins the running run (its devices are added). Answers
 * whether the detection was new to the run (`attached`) or already part of it (`duplicate`): the run's
 * own record is the only one that is right under racing re-deliveries and right after a restart. The
 * validator refuses once the run has finished its steps (a detection must then start a new run).
 */
export const attachUpdate = defineUpdate<AttachResult, [Detection]>('attach');
export type AttachResult = 'attached' | 'duplicate';

/** The signal of runs started before `attach` (kept so their histories replay, and for old workers). */
export const attachDetectionSignal = defineSignal<[Detection]>('attachDetection');

export interface PendingApproval {
  approvalId: string;
  stepId: string;
  code: string;
  question: string;
  approvers: string[];
  askedAt: string;
  expiresAt: string;
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
   * `waiting_for` and the pending Defender `actions` (interpreter/live-steps.ts); `pending` before it
   * starts, `skipped` if the run ended without it.
   */
  steps: Array<Record<string, unknown>>;
  effects: RunEffect[];
}

/** The run's live state: current step, pending approvals and pages, step results, effects so far. */
export const stateQuery = defineQuery<RunState>('state');

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

/**
 * Why an Update was refused, from the client-side error (WorkflowUpdateFailedError wraps the
 * validator's ApplicationFailure as its cause).
 */
export function refusalReason(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause && typeof e.cause === 'object') e = e.cause as typeof e;
  return String(e?.message ?? err);
}
