// Submitting an authenticated, mapped answer to the run as its `decide` or `ack` Update. The run's
// Update validator is the authority (design principle 4): it refuses an unknown or already-decided
// approval and a person who may not answer it, leaving nothing in history. We only translate errors.
import { WorkflowNotFoundError } from '@temporalio/common';
import {
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import type { OrgIR, PersonIR } from '../../compiler/ir';
import {
  ackUpdate,
  decideUpdate,
  workflowIdOf,
  type AckInput,
  type DecideInput,
} from '../../workflows/messages';

export type SubmitResult =
  | { kind: 'ok'; outcome: string; decidedBy: string; at: string; channel: string }
  | { kind: 'refused'; reason: string }
  | { kind: 'not_found'; reason: string }
  | { kind: 'timeout'; reason: string }
  | { kind: 'error'; reason: string };

function bounded(text: string): string {
  return text.length > 300 ? text.slice(0, 300) + '…' : text;
}

function classify(err: unknown): SubmitResult {
  if (err instanceof WorkflowUpdateFailedError) {
    return { kind: 'refused', reason: bounded(err.cause?.message ?? err.message) };
  }
  if (err instanceof WorkflowNotFoundError) {
    return { kind: 'not_found', reason: 'the run of this request has finished or does not exist' };
  }
  const e = err as { code?: number; name?: string; message?: string };
  // gRPC 4 = DEADLINE_EXCEEDED, 1 = CANCELLED.
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || e.code === 4 || e.code === 1) {
    return { kind: 'timeout', reason: 'the run did not answer in time; the answer may still be recorded' };
  }
  // The run completed after we found it: nothing can be decided any more.
  if (/workflow execution already completed|not found/i.test(e.message ?? '')) {
    return { kind: 'not_found', reason: 'the run of this request has finished' };
  }
  return { kind: 'error', reason: 'internal error while recording the answer' };
}

export async function submitDecision(
  client: Client,
  input: DecideInput,
  updateId: string,
  deadlineMs: number,
): Promise<SubmitResult> {
  const wf = workflowIdOf(input.approvalId);
  if (!wf) return { kind: 'refused', reason: 'malformed approval id' };
  try {
    const d = await client.withDeadline(Date.now() + deadlineMs, () =>
      client.workflow.getHandle(wf).executeUpdate(decideUpdate, { args: [input], updateId }),
    );
    return {
      kind: 'ok',
      outcome: d.outcome,
      decidedBy: d.decidedBy ?? '',
      at: d.decidedAt,
      channel: d.channel,
    };
  } catch (err) {
    return classify(err);
  }
}

export async function submitAck(
  client: Client,
  input: AckInput,
  updateId: string,
  deadlineMs: number,
): Promise<SubmitResult> {
  const wf = workflowIdOf(input.pageId);
  if (!wf) return { kind: 'refused', reason: 'malformed page id' };
  try {
    const a = await client.withDeadline(Date.now() + deadlineMs, () =>
      client.workflow.getHandle(wf).executeUpdate(ackUpdate, { args: [input], updateId }),
    );
    return { kind: 'ok', outcome: 'acknowledged', decidedBy: a.ackedBy, at: a.ackedAt, channel: a.channel };
  } catch (err) {
    return classify(err);
  }
}

export function personBySlack(org: OrgIR, userId: string): PersonIR | undefined {
  return Object.values(org.people).find((p) => p.slack === userId);
}

/** E.164 comparison tolerant of formatting spaces, dashes and parentheses. */
export function normalizePhone(phone: string): string {
  return phone.replace(/[\s\-().]/g, '');
}

export function personByPhone(org: OrgIR, phone: string): PersonIR | undefined {
  const n = normalizePhone(phone);
  if (!/^\+\d{6,15}$/.test(n)) return undefined;
  return Object.values(org.people).find((p) => p.phone && normalizePhone(p.phone) === n);
}
