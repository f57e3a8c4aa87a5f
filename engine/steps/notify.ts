// notify: a message to channels and people, each once (spec §3).
import { notifyKey } from '../keys';
import type { StepKindHandler } from './types';

export const notify: StepKindHandler<'notify'> = {
  async run(ctx, step, run, el) {
    const scope = ctx.scope(el);
    const message = ctx.ev.render(run.message, scope);
    const title = run.title ? ctx.ev.render(run.title, scope) : undefined;
    const recipients = ctx.recipients(run.to);
    for (const r of recipients) ctx.record({ kind: 'notify', target: r.key });
    await Promise.all(
      recipients.map((r) =>
        ctx.rt.effects.notify({
          key: notifyKey(ctx.workflowId, step.id, el, r.key),
          run: ctx.runRef(step),
          to: r.to,
          title,
          message,
        }),
      ),
    );
    return { id: step.id, status: 'succeeded' };
  },
};
