// defender.hunt: an advanced-hunting query (issue 15 §3). The query's `${{ }}` holes are evaluated to
// VALUES and sent apart from the query text (KqlTemplate); the activity writes each as a KQL literal
// (integrations/defender/kql.ts), so a detection's text can never become query syntax. The rows are the
// step's result (`steps.<id>.rows`), at most `limit` of them.
import type { KqlTemplate } from '../../core/defender-effects';
import type { Template } from '../../core/ir';
import type { EvalScope, Evaluator } from '../expr/runtime';
import { defenderKey } from '../keys';
import type { StepKindHandler } from './types';

/** The query's text and its holes' values, kept apart. */
export function kqlTemplate(ev: Evaluator, t: Template, scope: EvalScope): KqlTemplate {
  const text: string[] = [''];
  const values: unknown[] = [];
  for (const p of t.parts) {
    if (typeof p === 'string') text[text.length - 1] += p;
    else {
      values.push(ev.value(p, scope));
      text.push('');
    }
  }
  return { text, values };
}

export const defenderHunt: StepKindHandler<'defender_hunt'> = {
  async run(ctx, step, run, el, n) {
    const scope = ctx.scope(el);
    const query = kqlTemplate(ctx.ev, run.query, scope);
    const timespan = run.timespan ? ctx.ev.render(run.timespan, scope) : undefined;
    ctx.record({ kind: 'defender.hunt' });
    const r = await ctx.rt.effects.defenderHunt({
      key: defenderKey(ctx.workflowId, step.id, n, el.device),
      run: ctx.runRef(step),
      query,
      limit: run.limit,
      ...(timespan ? { timespan } : {}),
    });
    return {
      id: step.id,
      status: 'succeeded',
      rows: r.rows,
      row_count: r.row_count,
      truncated: r.truncated,
      columns: r.columns,
    };
  },
};
