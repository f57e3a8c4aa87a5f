// wait: for a duration, or until an instant an expression gives (spec §3).
import type { StepKindHandler } from './types';

export const wait: StepKindHandler<'wait'> = {
  async run(ctx, step, run, el, n) {
    let ms = run.forMs ?? 0;
    if (run.until) ms = ctx.ev.timestamp(run.until, ctx.scope(el)).getTime() - ctx.rt.now().getTime();
    if (ms > 0) {
      const now = ctx.rt.now();
      const until = new Date(now.getTime() + ms).toISOString();
      await ctx.live.during(step.id, n, now, { waiting_for: 'timer', until }, () => ctx.rt.sleep(ms));
    }
    return { id: step.id, status: 'succeeded' };
  },
};
