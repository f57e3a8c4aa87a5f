// defender.kill_process / defender.delete_file: a script shipped with Nightshift
// (integrations/defender/scripts/) run on each device by live response (issue 15 §4): installed or
// updated in the tenant's library, run with RunScript, waited for like other machine actions, and its
// exit code and result line put in the step result. The machine is the one the lookup found.
import { FINAL_MACHINE_ACTION_STATES } from '../../core/effects';
import { platformOf } from '../../core/defender-effects';
import { DEFAULT_DEFENDER_TIMEOUT_MS, type StepResult } from '../../core/run';
import { defenderKey } from '../keys';
import { machineFor, resolveMachine } from '../mde';
import type { StepKindHandler } from './types';

export const defenderLiveResponse: StepKindHandler<'defender_live_response'> = {
  perDevice: () => true,

  aggregate(result, outcomes) {
    result.scripts = outcomes.flatMap((o) => (o.scripts as unknown[] | undefined) ?? []);
  },

  async run(ctx, step, run, el, n) {
    const device = el.device;
    if (!device) return { id: step.id, status: 'skipped', scripts: [] };
    const scope = ctx.scope(el);
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(run.params)) params[k] = ctx.ev.render(v, scope);
    const mde = await resolveMachine(ctx, step, device);
    const m = machineFor(device, mde, false, ctx.humanApproved);
    if ('refused' in m) return { id: step.id, status: 'failed', reason: m.refused, scripts: [] };
    const machineId = m.id;
    const platform = platformOf(mde.os || device.os);
    const key = defenderKey(ctx.workflowId, step.id, n, device);
    const runRef = ctx.runRef(step);
    ctx.record({ kind: `defender.${run.action}`, device: device.id });

    await ctx.rt.effects.defenderEnsureScript({
      key: `${key}/library`,
      run: runRef,
      action: run.action,
      platform,
    });
    const submitted = await ctx.rt.effects.defenderRunScript({
      key,
      run: runRef,
      action: run.action,
      platform,
      machineId,
      params,
    });
    const script = {
      device: device.id,
      machine_id: machineId,
      action_id: submitted.actionId ?? '',
      status: submitted.status as string,
      exit_code: -1,
      outcome: '',
      output: '',
      errors: '',
    };
    let final: string = submitted.status;
    if (!FINAL_MACHINE_ACTION_STATES.includes(submitted.status) && submitted.actionId) {
      ctx.live.action(step.id, n, ctx.rt.now(), {
        device: device.id,
        action_id: script.action_id,
        status: final,
      });
      final = await ctx.live.during(step.id, n, ctx.rt.now(), { waiting_for: 'defender_action' }, () =>
        ctx.rt.effects.defenderAwait(
          { actionId: submitted.actionId as string, machineId },
          step.timeoutMs ?? DEFAULT_DEFENDER_TIMEOUT_MS,
        ),
      );
    }
    script.status = final;
    if (final === 'timed_out') {
      return {
        id: step.id,
        status: 'timed_out',
        reason: 'live response did not finish in time',
        scripts: [script],
      };
    }
    const out = await ctx.rt.effects.defenderScriptResult({
      actionId: script.action_id,
      machineId,
      status: final as (typeof FINAL_MACHINE_ACTION_STATES)[number],
    });
    Object.assign(script, {
      exit_code: out.exit_code,
      outcome: out.outcome,
      output: out.output,
      errors: out.errors,
    });
    const r: StepResult = { id: step.id, status: 'succeeded', scripts: [script] };
    if (final !== 'Succeeded') {
      r.status = 'failed';
      r.reason = `live response ${final}${out.errors ? `: ${out.errors.slice(0, 200)}` : ''}`;
    } else if (out.exit_code !== 0) {
      r.status = 'failed';
      r.reason = `script exited ${out.exit_code}${out.outcome ? ` (${out.outcome})` : ''}`;
    }
    return r;
  },
};
