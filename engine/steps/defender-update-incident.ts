// defender.update_incident: PATCHes the Defender XDR incidents of the run's detections (issue 15 §5):
// status, classification, determination, assignee, tags added (the incident keeps its others), a
// comment. A run without an incident skips the step, saying so.
import type { IncidentUpdate } from '../../core/defender-effects';
import { defenderKey } from '../keys';
import type { StepKindHandler } from './types';

export const defenderUpdateIncident: StepKindHandler<'defender_update_incident'> = {
  async run(ctx, step, run, el, n) {
    const ids = [...new Set(ctx.detections.map((d) => d.incident_id).filter((x): x is string => !!x))];
    if (ids.length === 0) {
      return { id: step.id, status: 'skipped', reason: 'the run has no Defender incident', incidents: [] };
    }
    const scope = ctx.scope(el);
    const update: IncidentUpdate = {};
    for (const [k, v] of Object.entries(run.params)) {
      const s = ctx.ev.render(v, scope);
      if (s) (update as Record<string, string>)[k] = s;
    }
    if (run.tags) update.tags = run.tags.map((t) => ctx.ev.render(t, scope)).filter(Boolean);
    ctx.record({ kind: 'defender.update_incident' });
    const r = await ctx.rt.effects.defenderUpdateIncident({
      key: defenderKey(ctx.workflowId, step.id, n),
      run: ctx.runRef(step),
      incidentIds: ids,
      update,
    });
    return { id: step.id, status: 'succeeded', incidents: r.dryRun ? ids : r.updated };
  },
};
