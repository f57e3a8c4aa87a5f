// webhook: one HTTP call with templated URL, headers and body; a non-2xx answer fails the step.
import { webhookKey } from '../keys';
import type { StepKindHandler } from './types';

export const webhook: StepKindHandler<'webhook'> = {
  async run(ctx, step, run, el, n) {
    const scope = ctx.scope(el);
    const url = ctx.ev.render(run.url, scope);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(run.headers)) headers[k] = ctx.ev.render(v, scope);
    const body = run.body ? ctx.ev.renderJson(run.body, scope) : undefined;
    ctx.record({ kind: 'webhook', target: url });
    const res = await ctx.rt.effects.webhook({
      key: webhookKey(ctx.workflowId, step.id, n),
      run: ctx.runRef(step),
      url,
      method: run.method,
      headers,
      body,
    });
    const ok = res.httpStatus >= 200 && res.httpStatus < 300;
    return {
      id: step.id,
      status: ok ? 'succeeded' : 'failed',
      ...(ok ? {} : { reason: `webhook answered HTTP ${res.httpStatus}` }),
      http_status: res.httpStatus,
      body: res.body,
    };
  },
};
