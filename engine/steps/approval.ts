// approval: ask channels and people, wait for an allowed approver's answer or the timeout (spec §3).
// The answer arrives as the run's `decide` Update (engine/interactions.ts); every message then shows it.
import type { Via } from '../../core/channels';
import type { Decision, PostedMessage, Recipient } from '../../core/effects';
import { rootCause } from '../../core/failures';
import { interactionId } from '../../core/messages';
import type { ApprovalState } from '../interactions';
import { approvalAskKey, approvalResolvedKey } from '../keys';
import type { Wait } from '../live-steps';
import type { StepKindHandler } from './types';

export const approval: StepKindHandler<'approval'> = {
  async run(ctx, step, run, el, n) {
    const scope = ctx.scope(el);
    const question = ctx.ev.render(run.question, scope);
    const now = ctx.rt.now();
    const state: ApprovalState = {
      approvalId: interactionId(ctx.workflowId, step.id, n),
      stepId: step.id,
      code: ctx.interactions.newCode(),
      question,
      approvers: [...run.approvers],
      askedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + run.timeoutMs).toISOString(),
    };
    ctx.interactions.approvals.set(state.approvalId, state);
    ctx.changed();

    const approvers = run.approvers.map((id) => ctx.input.org.people[id]).filter((p) => p !== undefined);
    // Channels are asked once each; people once per `via` (the extension), else on their best channel.
    type Ask = { target: string; to: Recipient; via?: Via; kind: string; key: string };
    const asks: Ask[] = ctx.recipients(run.ask).flatMap((r): Ask[] =>
      r.to.type === 'person' && run.via?.length
        ? run.via.map((via) => ({
            target: r.key,
            to: r.to,
            via,
            kind: `approval.ask.${via}`,
            key: approvalAskKey(state.approvalId, r.key, via),
          }))
        : [{ target: r.key, to: r.to, kind: 'approval.ask', key: approvalAskKey(state.approvalId, r.key) }],
    );
    for (const a of asks) ctx.record({ kind: a.kind, target: a.target });
    const asked = await Promise.allSettled(
      asks.map((a) =>
        ctx.rt.effects.askApproval({
          key: a.key,
          run: ctx.runRef(step),
          approvalId: state.approvalId,
          code: state.code,
          to: a.to,
          question,
          approvers,
          expiresAt: state.expiresAt,
          ...(a.via ? { via: a.via } : {}),
        }),
      ),
    );
    const messages: PostedMessage[] = asked.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    if (asks.length > 0 && messages.length === 0) {
      // Nobody could be asked: waiting for an answer that cannot come would only delay the timeout path.
      state.unreachable = asked
        .map((a) => (a.status === 'rejected' ? rootCause(a.reason) : ''))
        .filter(Boolean);
    }

    const wait: Wait = {
      waiting_for: 'approval',
      approval_id: state.approvalId,
      expires_at: state.expiresAt,
    };
    const decided = await ctx.live.during(step.id, n, now, wait, () =>
      ctx.rt.waitFor(() => state.decision !== undefined, run.timeoutMs),
    );
    if (!decided) {
      state.decision = {
        outcome: run.onTimeout,
        decidedBy: null,
        decidedAt: ctx.nowIso(),
        channel: 'timeout',
        timedOut: true,
      };
    }
    const decision = state.decision as Decision;
    ctx.changed();
    ctx.rt.onApprovalDecided?.(decision, now);
    if (decision.outcome === 'approved' && !decision.timedOut && decision.decidedBy) ctx.humanApproved = true;
    try {
      await ctx.rt.effects.approvalResolved({
        key: approvalResolvedKey(state.approvalId),
        run: ctx.runRef(step),
        approvalId: state.approvalId,
        question,
        decision,
        messages,
      });
    } catch {
      // Showing the decision on every channel is best effort; the decision itself stands.
    }
    return {
      id: step.id,
      status: 'succeeded',
      outcome: decision.outcome,
      timed_out: decision.timedOut,
      decided_by: decision.decidedBy ?? '',
      decided_at: decision.decidedAt,
      channel: decision.channel,
    };
  },
};
