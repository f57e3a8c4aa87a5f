// Submitting an authenticated, mapped answer to the run as its `decide` or `ack` Update. The run's
// Update validator is the authority (design principle 4): it refuses an unknown or already-decided
// approval and a person who may not answer it, leaving nothing in history. We only translate errors.
import { WorkflowNotFoundError } from '@temporalio/common';
import {
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import type { OrgIR, PersonIR } from '../../core/ir';
import { ackUpdate, decideUpdate } from '../../workflows/messages';
import { workflowIdOf, type AckInput, type DecideInput } from '../../core/messages';

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
    return {
      kind: 'timeout',
      reason:
        'the run is busy; Nightshift keeps submitting your answer and every message will show the decision',
    };
  }
  // The run completed after we found it: nothing can be decided any more.
  if (/workflow execution already completed|not found/i.test(e.message ?? '')) {
    return { kind: 'not_found', reason: 'the run of this request has finished' };
  }
  return { kind: 'error', reason: 'internal error while recording the answer' };
}

/** How long an answer that timed out is re-submitted in the background (same update id: no duplicates). */
export const BACKGROUND_RETRY_MS = 120_000;

/**
 * Runs the Update within `deadlineMs` (the channel's answer window). When that window closes first, the
 * answer is not dropped: it is re-submitted in the background with the same update id, which the server
 * de-duplicates, until the run accepts or refuses it.
 */
async function submit<R>(
  client: Client,
  call: () => Promise<R>,
  deadlineMs: number,
  ok: (r: R) => SubmitResult,
): Promise<SubmitResult> {
  try {
    return ok(await client.withDeadline(Date.now() + deadlineMs, call));
  } catch (err) {
    const c = classify(err);
    if (c.kind === 'timeout') void keepSubmitting(client, call);
    return c;
  }
}

async function keepSubmitting(client: Client, call: () => Promise<unknown>): Promise<void> {
  const until = Date.now() + BACKGROUND_RETRY_MS;
  for (let delay = 250; Date.now() < until; delay = Math.min(delay * 2, 10_000)) {
    // unref: a pending re-submission must not keep a stopping server alive.
    await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())).unref());
    try {
      await client.withDeadline(Math.min(until, Date.now() + 30_000), call);
      return;
    } catch (err) {
      if (classify(err).kind !== 'timeout') return; // accepted elsewhere, refused, or the run is gone
    }
  }
}

export async function submitDecision(
  client: Client,
  input: DecideInput,
  updateId: string,
  deadlineMs: number,
): Promise<SubmitResult> {
  const wf = workflowIdOf(input.approvalId);
  if (!wf) return { kind: 'refused', reason: 'malformed approval id' };
  return submit(
    client,
    () => client.workflow.getHandle(wf).executeUpdate(decideUpdate, { args: [input], updateId }),
    deadlineMs,
    (d) => ({
      kind: 'ok',
      outcome: d.outcome,
      decidedBy: d.decidedBy ?? '',
      at: d.decidedAt,
      channel: d.channel,
    }),
  );
}

export async function submitAck(
  client: Client,
  input: AckInput,
  updateId: string,
  deadlineMs: number,
): Promise<SubmitResult> {
  const wf = workflowIdOf(input.pageId);
  if (!wf) return { kind: 'refused', reason: 'malformed page id' };
  return submit(
    client,
    () => client.workflow.getHandle(wf).executeUpdate(ackUpdate, { args: [input], updateId }),
    deadlineMs,
    (a) => ({ kind: 'ok', outcome: 'acknowledged', decidedBy: a.ackedBy, at: a.ackedAt, channel: a.channel }),
  );
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
