// Alert sync (issue 15 §5, as Red Canary does it): a playbook with `alert_sync:` updates every Defender
// alert of its run when the run ends, with the run's outcome in the comment — resolved (and classified)
// when the run completed, left in progress for a person when it failed. One update_alert request, through
// the same activity (idempotent by key, dry run without a tenant) as the `defender.update_alert` step.
import { rootCause } from '../core/failures';
import type { AlertSyncIR } from '../core/ir';
import type { RunState } from '../core/messages';
import type { RunContext } from './context';
import { alertSyncKey } from './keys';

/** The comment each alert gets: the playbook, the run, its outcome and what it did. */
export function alertSyncComment(ctx: RunContext, outcome: 'completed' | 'failed'): string {
  const ir = ctx.input.ir;
  const done = [...ctx.results.values()]
    .map((r) => `${r.id}: ${r.status}${r.status === 'failed' && r.reason ? ` (${r.reason})` : ''}`)
    .join('; ');
  return `nightshift ${ir.name} v${ir.version} run ${ctx.workflowId} ${outcome}${done ? ` — ${done}` : ''}`.slice(
    0,
    1000,
  );
}

export async function syncAlerts(
  ctx: RunContext,
  sync: AlertSyncIR,
  outcome: 'completed' | 'failed',
): Promise<RunState['alertSync']> {
  const alertIds = [...new Set(ctx.detections.flatMap((d) => d.alert_ids ?? []))];
  if (alertIds.length === 0) return undefined;
  const params: Record<string, string> = {
    status: outcome === 'completed' ? 'Resolved' : 'InProgress',
    comment: alertSyncComment(ctx, outcome),
  };
  if (outcome === 'completed' && sync.classification) params.classification = sync.classification;
  if (outcome === 'completed' && sync.determination) params.determination = sync.determination;
  const last = ctx.input.ir.steps[ctx.input.ir.steps.length - 1];
  ctx.record({ kind: 'defender.alert_sync' });
  try {
    const r = await ctx.rt.effects.defenderSubmit({
      key: alertSyncKey(ctx.workflowId),
      run: { ...ctx.runRef(last), stepId: 'alert_sync' },
      action: 'update_alert',
      alertIds,
      params,
    });
    return { status: r.dryRun ? 'dry_run' : 'succeeded', alerts: alertIds.length };
  } catch (err) {
    // The run's own outcome stands; the failure is shown in its state.
    return { status: 'failed', alerts: alertIds.length, error: rootCause(err) };
  }
}
