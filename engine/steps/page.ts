// page: reach the on-call (or named people) every way in `via`, wait for an acknowledgement, escalate
// once to `escalate_to` when nobody acknowledged in time (spec §3).
import { interactionId } from '../../core/messages';
import type { PageState } from '../interactions';
import { pageKey } from '../keys';
import type { StepKindHandler } from './types';

export const page: StepKindHandler<'page'> = {
  async run(ctx, step, run, el, n) {
    const message = ctx.ev.render(run.message, ctx.scope(el));
    const first: string[] = [];
    if (run.rotation) first.push(ctx.ev.onCall(run.rotation, ctx.rt.now()));
    for (const r of ctx.recipients(run.to ?? [])) {
      if (r.to.type === 'person' && !first.includes(r.to.person.id)) first.push(r.to.person.id);
    }
    const state: PageState = {
      pageId: interactionId(ctx.workflowId, step.id, n),
      stepId: step.id,
      code: ctx.interactions.newCode(),
      paged: [],
      pagedAt: ctx.nowIso(),
    };
    const pages = ctx.interactions.pages;
    pages.set(state.pageId, state);

    const send = async (people: string[], round: number) => {
      const fresh = people.filter((p) => !state.paged.includes(p));
      state.paged.push(...fresh);
      ctx.changed();
      const calls: Array<Promise<unknown>> = [];
      for (const id of people) {
        const person = ctx.input.org.people[id];
        if (!person) continue;
        for (const via of run.via) {
          ctx.record({ kind: `page.${via}`, target: id });
          calls.push(
            ctx.rt.effects.page({
              key: pageKey(state.pageId, round, id, via),
              run: ctx.runRef(step),
              pageId: state.pageId,
              code: state.code,
              person,
              via,
              message,
            }),
          );
        }
      }
      // A failed channel must not stop the others: a page reaches whoever it can.
      await Promise.allSettled(calls);
    };

    const waitForAck = () => {
      const now = ctx.rt.now();
      const deadline = new Date(now.getTime() + run.ackTimeoutMs).toISOString();
      return ctx.live.during(step.id, n, now, { waiting_for: 'ack', page_id: state.pageId, deadline }, () =>
        ctx.rt.waitFor(() => state.ack !== undefined, run.ackTimeoutMs),
      );
    };
    await send(first, 0);
    let acked = await waitForAck();
    if (!acked && run.escalateTo.length > 0) {
      await send(run.escalateTo, 1);
      acked = await waitForAck();
    }
    ctx.changed();
    if (!acked || !state.ack) {
      state.ack = undefined;
      pages.delete(state.pageId);
      ctx.changed();
      return { id: step.id, status: 'timed_out', acked_by: '', acked_at: '' };
    }
    return { id: step.id, status: 'succeeded', acked_by: state.ack.ackedBy, acked_at: state.ack.ackedAt };
  },
};
