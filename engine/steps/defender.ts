// defender.<action>: a Defender for Endpoint action. Per-device actions act on each device of the run
// (or each device a for_each lists) behind the containment guard, and wait for the machine action to
// reach a final state within the step's timeout; the others act once per element (spec §3).
import { FINAL_MACHINE_ACTION_STATES, type DefenderSubmitRequest } from '../../core/effects';
import { PER_DEVICE_DEFENDER_ACTIONS } from '../../core/ir';
import { DEFAULT_DEFENDER_TIMEOUT_MS, type StepResult } from '../../core/run';
import { CONTAINMENT_ACTIONS, guardContainment, releaseContainment } from '../containment';
import { defenderKey } from '../keys';
import { MACHINE_RESOLUTION_PATCH, machineFor, resolveMachine } from '../mde';
import type { StepKindHandler } from './types';

export const defender: StepKindHandler<'defender'> = {
  perDevice: (run) => PER_DEVICE_DEFENDER_ACTIONS.includes(run.action),

  aggregate(result, outcomes) {
    result.actions = outcomes.flatMap((o) => (o.actions as unknown[] | undefined) ?? []);
  },

  async run(ctx, step, run, el, n) {
    const scope = ctx.scope(el);
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(run.params)) params[k] = ctx.ev.render(v, scope);
    const device = el.device;
    const perDevice = PER_DEVICE_DEFENDER_ACTIONS.includes(run.action);
    const kind = `defender.${run.action}`;

    const key = defenderKey(ctx.workflowId, step.id, n, device);
    // The machine the lookup found acts, never a guess (issue 15 §1); runs recorded before keep the id.
    let machineId = device?.id;
    if (perDevice && device && ctx.rt.patched(MACHINE_RESOLUTION_PATCH)) {
      const mde = await resolveMachine(ctx, step, device);
      const m = machineFor(device, mde, CONTAINMENT_ACTIONS.includes(run.action), ctx.humanApproved);
      if ('refused' in m) return { id: step.id, status: 'failed', reason: m.refused, actions: [] };
      machineId = m.id;
    }
    const guard = await guardContainment(
      ctx,
      step.id,
      run.action,
      perDevice && device ? ctx.withMde(device) : undefined,
      key,
    );
    if (guard.refused) return { id: step.id, status: 'failed', reason: guard.refused, actions: [] };
    const reserved = guard.reserved;

    const req: DefenderSubmitRequest = {
      key,
      run: ctx.runRef(step),
      action: run.action,
      machineId: perDevice ? machineId : undefined,
      alertIds: run.action === 'update_alert' ? ctx.detections.flatMap((d) => d.alert_ids ?? []) : undefined,
      params,
    };
    ctx.record(perDevice && device ? { kind, device: device.id } : { kind });
    let submitted;
    try {
      submitted = await ctx.rt.effects.defenderSubmit(req);
    } catch (err) {
      if (reserved) await releaseContainment(ctx, key);
      throw err;
    }
    if (!perDevice) {
      const r: StepResult = { id: step.id, status: 'succeeded' };
      if (run.action === 'block_indicator') r.indicator_id = submitted.indicatorId ?? '';
      return r;
    }
    let final: string = submitted.status;
    const action = { device: device?.id ?? '', action_id: submitted.actionId ?? '', status: final };
    if (!FINAL_MACHINE_ACTION_STATES.includes(submitted.status) && submitted.actionId && machineId) {
      // The state view shows the pending action while the step waits for it.
      ctx.live.action(step.id, n, ctx.rt.now(), action);
      final = await ctx.live.during(step.id, n, ctx.rt.now(), { waiting_for: 'defender_action' }, () =>
        ctx.rt.effects.defenderAwait(
          { actionId: submitted.actionId as string, machineId },
          step.timeoutMs ?? DEFAULT_DEFENDER_TIMEOUT_MS,
        ),
      );
      action.status = final;
    }
    if (final === 'Succeeded') return { id: step.id, status: 'succeeded', actions: [action] };
    if (reserved && final !== 'timed_out') await releaseContainment(ctx, key);
    if (final === 'timed_out') {
      return {
        id: step.id,
        status: 'timed_out',
        reason: 'machine action did not finish in time',
        actions: [action],
      };
    }
    return { id: step.id, status: 'failed', reason: `machine action ${final}`, actions: [action] };
  },
};
