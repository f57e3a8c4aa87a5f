// approval: ask channels and people, wait for an allowed approver's answer or the timeout (spec §3).
// The answer arrives as the run's `decide` Update (engine/interactions.ts); every message then shows it.
// Extension — `escalate`: while nobody has decided, each stage asks more people (or the same, louder) at
// its time; the people of every stage reached may decide. Rotations are resolved when each stage starts.
import type { Via } from '../../core/channels';
import type { Decision, PostedMessage, Recipient } from '../../core/effects';
import { rootCause } from '../../core/failures';
import type { EscalationStageIR, StepIR, Target } from '../../core/ir';
import { interactionId, type ApprovalStage } from '../../core/messages';
import type { RunContext } from '../context';
import type { ApprovalState } from '../interactions';
import { approvalAskKey, approvalResolvedKey, approvalStageAskKey, type Element } from '../keys';
import type { Wait } from '../live-steps';
import { recipients } from '../recipients';
import type { StepKindHandler, StepOf } from './types';

type Ask = { target: string; to: Recipient; via?: Via; kind: string; key: string; stage?: number };

export const approval: StepKindHandler<'approval'> = {
  async run(ctx, step, run, el, n) {
    const scope = ctx.scope(el);
    const question = ctx.ev.render(run.question, scope);
    const now = ctx.rt.now();
    const stages = run.escalate ?? [];
    const state: ApprovalState = {
      approvalId: interactionId(ctx.workflowId, step.id, n),
      stepId: step.id,
      code: ctx.interactions.newCode(),
      question,
      approvers: approverIds(ctx, run),
      askedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + run.timeoutMs).toISOString(),
      ...(stages.length ? escalationPlan(ctx, run, now) : {}),
    };
    ctx.interactions.approvals.set(state.approvalId, state);
    ctx.changed();

    // Channels are asked once each; people once per `via` (the extension), else on their best channel.
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
    const messages: PostedMessage[] = [];
    const asked = await ask(ctx, step, state, asks, messages);
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
      ...(stages.length ? { stage: 0, next_stage_at: state.nextStageAt } : {}),
    };
    const isDecided = () => state.decision !== undefined;
    const decided = await ctx.live.during(step.id, n, now, wait, async () => {
      // Without stages the wait is exactly what it always was (one timer): recorded runs replay as before.
      if (!stages.length) return ctx.rt.waitFor(isDecided, run.timeoutMs);
      const untilMs = (t: number) => Math.max(1, t - ctx.rt.now().getTime());
      for (const [i, stage] of stages.entries()) {
        if (await ctx.rt.waitFor(isDecided, untilMs(now.getTime() + stage.afterMs))) return true;
        await escalate(ctx, step, run, el, state, i + 1, stage, messages);
        wait.stage = state.stage;
        if (state.nextStageAt) wait.next_stage_at = state.nextStageAt;
        else delete wait.next_stage_at;
        ctx.changed();
      }
      return ctx.rt.waitFor(isDecided, untilMs(now.getTime() + run.timeoutMs));
    });
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
      // Showing the decision on every message is best effort; the decision itself stands.
    }
    return {
      id: step.id,
      status: 'succeeded',
      outcome: decision.outcome,
      timed_out: decision.timedOut,
      decided_by: decision.decidedBy ?? '',
      decided_at: decision.decidedAt,
      channel: decision.channel,
      // Which stage was reached when it was decided (0: the first ask); only with `escalate`.
      ...(stages.length ? { stage: state.stage ?? 0 } : {}),
    };
  },
};

/** The approvers now: the people and groups named, and whoever is on call in the rotations named. */
function approverIds(ctx: RunContext, run: StepOf<'approval'>): string[] {
  const out = [...run.approvers];
  for (const r of run.approverRotations ?? []) {
    const id = ctx.ev.onCall(r, ctx.rt.now());
    if (!out.includes(id)) out.push(id);
  }
  return out;
}

/** The approvers as targets: what a stage without `to` asks (its rotations resolved then). */
function approverTargets(run: StepOf<'approval'>): Target[] {
  return [
    ...run.approvers.map((id): Target => ({ type: 'person', id })),
    ...(run.approverRotations ?? []).map((id): Target => ({ type: 'rotation', id })),
  ];
}

/** The stages as the run state shows them before any has started. */
function escalationPlan(
  ctx: RunContext,
  run: StepOf<'approval'>,
  now: Date,
): Pick<ApprovalState, 'stage' | 'stages' | 'nextStageAt'> {
  const first: ApprovalStage = {
    stage: 0,
    at: now.toISOString(),
    status: 'asked',
    people: ctx.recipients(run.ask).flatMap((r) => (r.to.type === 'person' ? [r.key] : [])),
    ...(run.via ? { via: [...run.via] } : {}),
  };
  // Who a later stage will ask is known in advance: the org is pinned in the run, so a rotation's
  // on-call at the stage's time is too (the stage resolves it again when it starts).
  const later = (run.escalate ?? []).map((st, i): ApprovalStage => {
    const due = new Date(now.getTime() + st.afterMs);
    const people = recipients(ctx.input.org, st.to ?? approverTargets(run), (r) => ctx.ev.onCall(r, due));
    const via = st.via ?? run.via;
    return {
      stage: i + 1,
      at: due.toISOString(),
      status: 'pending',
      people: people.map((r) => r.key),
      ...(via ? { via: [...via] } : {}),
    };
  });
  return { stage: 0, stages: [first, ...later], nextStageAt: later[0]?.at };
}

/** Stage `k` is due: unless its `if` is false, its people may decide from now on and are asked. */
async function escalate(
  ctx: RunContext,
  step: StepIR,
  run: StepOf<'approval'>,
  el: Element,
  state: ApprovalState,
  k: number,
  stage: EscalationStageIR,
  messages: PostedMessage[],
): Promise<void> {
  const info = state.stages?.[k];
  const next = state.stages?.[k + 1];
  state.nextStageAt = next?.at;
  if (info) info.at = ctx.nowIso();
  if (stage.if && !ctx.ev.bool(stage.if, ctx.scope(el))) {
    if (info) info.status = 'skipped';
    ctx.record({ kind: 'approval.stage.skipped', detail: { stage: k } });
    return;
  }
  state.stage = k;
  const people = ctx.recipients(stage.to ?? approverTargets(run)).filter((r) => r.to.type === 'person');
  // They may decide from the moment the stage starts, before any message reaches them.
  for (const r of people) if (!state.approvers.includes(r.key)) state.approvers.push(r.key);
  if (info) {
    info.status = 'asked';
    info.people = people.map((r) => r.key);
  }
  ctx.changed();
  const via = stage.via ?? run.via;
  const asks = people.flatMap((r): Ask[] =>
    via?.length
      ? via.map((v) => ({
          target: r.key,
          to: r.to,
          via: v,
          kind: `approval.ask.${v}`,
          key: approvalStageAskKey(state.approvalId, k, r.key, v),
          stage: k,
        }))
      : [
          {
            target: r.key,
            to: r.to,
            kind: 'approval.ask',
            key: approvalStageAskKey(state.approvalId, k, r.key),
            stage: k,
          },
        ],
  );
  await ask(ctx, step, state, asks, messages);
}

/** Sends the asks (a failed channel does not stop the others); posted messages are added to `messages`. */
async function ask(
  ctx: RunContext,
  step: StepIR,
  state: ApprovalState,
  asks: Ask[],
  messages: PostedMessage[],
): Promise<Array<PromiseSettledResult<PostedMessage>>> {
  for (const a of asks)
    ctx.record({
      kind: a.kind,
      target: a.target,
      ...(a.stage !== undefined ? { detail: { stage: a.stage } } : {}),
    });
  const approvers = state.approvers.map((id) => ctx.input.org.people[id]).filter((p) => p !== undefined);
  const asked = await Promise.allSettled(
    asks.map((a) =>
      ctx.rt.effects.askApproval({
        key: a.key,
        run: ctx.runRef(step),
        approvalId: state.approvalId,
        code: state.code,
        to: a.to,
        question: state.question,
        approvers,
        expiresAt: state.expiresAt,
        ...(a.via ? { via: a.via } : {}),
      }),
    ),
  );
  for (const a of asked) if (a.status === 'fulfilled') messages.push(a.value);
  return asked;
}
