// Submitting an authenticated, mapped answer to the run as its `decide` or `ack` Update. The run's
// Update validator is the authority (design principle 4): it refuses an unknown or already-decided
// approval and a person who may not answer it, leaving nothing in history. We only translate errors.
// The person is answered once the validator has accepted the Update (WaitForStage.ACCEPTED), not once
// its handler ran: an accepted Update is in the run's history and will be applied, and the validator
// refuses any answer but the first, so the accepted one is the answer in force. The click's latency
// then excludes the handler and whatever else the run's worker has queued.
import { WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import {
  WorkflowClient,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WorkflowUpdateStage,
  type Client,
} from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
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
  // gRPC 4 = DEADLINE_EXCEEDED, 1 = CANCELLED; 8 = RESOURCE_EXHAUSTED (too many Updates in flight on
  // the run) and an Update aborted by a failed workflow task are congestion too: worth submitting again.
  if (
    err instanceof WorkflowUpdateRPCTimeoutOrCancelledError ||
    e.code === 4 ||
    e.code === 1 ||
    e.code === 8 ||
    /update was aborted/i.test(e.message ?? '')
  ) {
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

/**
 * How long an answer that timed out is re-submitted in the background (same update id: no duplicates).
 * Long: a saturated worker replaying runs evicted from its cache took minutes to take 300 answers in the
 * benchmark (bench/RESULTS.md, scenario 5), and 2 minutes lost some; the run refuses the answer anyway
 * once its approval is decided or timed out.
 */
export const BACKGROUND_RETRY_MS = 30 * 60_000;

/**
 * Submits the Update and waits, within `deadlineMs` (the channel's answer window), until the run's
 * validator accepted or refused it. When that window closes first, the answer is not dropped: it is
 * re-submitted in the background with the same update id, which the server de-duplicates, until the run
 * accepts or refuses it.
 */
async function submit(
  client: Client,
  start: () => Promise<unknown>,
  deadlineMs: number,
  accepted: () => SubmitResult,
): Promise<SubmitResult> {
  try {
    await client.withDeadline(Date.now() + deadlineMs, start);
    return accepted();
  } catch (err) {
    const c = classify(err);
    if (c.kind === 'timeout') void keepSubmitting(client, start);
    return c;
  }
}

async function keepSubmitting(client: Client, start: () => Promise<unknown>): Promise<void> {
  const until = Date.now() + BACKGROUND_RETRY_MS;
  for (let delay = 250; Date.now() < until; delay = Math.min(delay * 2, 10_000)) {
    // unref: a pending re-submission must not keep a stopping server alive.
    await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())).unref());
    try {
      await client.withDeadline(Math.min(until, Date.now() + 30_000), start);
      return;
    } catch (err) {
      if (classify(err).kind !== 'timeout') return; // accepted elsewhere, refused, or the run is gone
    }
  }
}

/**
 * The validator's verdict by update id. startUpdate(ACCEPTED) returns a handle both when the Update was
 * accepted and when it was refused: only the response's outcome (present when refused, or already
 * completed) tells them apart, and only a client interceptor sees it.
 */
const verdicts = new Map<string, temporal.api.update.v1.IOutcome | undefined>();
const updateClients = new WeakMap<Client, WorkflowClient>();

/** A workflow client on `client`'s connection and settings that keeps each Update's verdict. */
function updateClient(client: Client): WorkflowClient {
  let wc = updateClients.get(client);
  if (!wc) {
    wc = new WorkflowClient({
      connection: client.connection,
      namespace: client.options.namespace,
      dataConverter: client.options.dataConverter,
      identity: client.options.identity,
      interceptors: [
        {
          async startUpdate(input, next) {
            const out = await next(input);
            verdicts.set(out.updateId, out.outcome);
            return out;
          },
        },
      ],
    });
    updateClients.set(client, wc);
  }
  return wc;
}

/**
 * Submits `update` and resolves once the run's validator accepted it; throws WorkflowUpdateFailedError
 * when it refused it (as executeUpdate would), without waiting for the handler.
 */
async function startAccepted<R, A>(
  client: Client,
  workflowId: string,
  update: UpdateDefinition<R, [A]>,
  arg: A,
  updateId: string,
): Promise<void> {
  try {
    const handle = await updateClient(client)
      .getHandle(workflowId)
      .startUpdate(update, {
        args: [arg],
        updateId,
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
    // Refused: the outcome is known, so result() decodes it into the refusal without another call.
    if (verdicts.get(updateId)?.failure) await handle.result();
  } finally {
    verdicts.delete(updateId);
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
    () => startAccepted(client, wf, decideUpdate, input, updateId),
    deadlineMs,
    () => ({
      kind: 'ok',
      outcome: input.outcome,
      decidedBy: input.personId,
      at: new Date().toISOString(),
      channel: input.channel,
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
    () => startAccepted(client, wf, ackUpdate, input, updateId),
    deadlineMs,
    () => ({
      kind: 'ok',
      outcome: 'acknowledged',
      decidedBy: input.personId,
      at: new Date().toISOString(),
      channel: input.channel,
    }),
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
