// defender.lookup: finds each device's Defender machine (MDE id, else host name, else IP at the
// detection's time) and reads what Defender knows of it into `device.mde` for later `if:` and the
// protected-device policy (issue 15 §1-2). Exactly one live, onboarded, unmerged machine is `found`;
// none or several fail the element naming the candidates. One lookup per device per run.
import type { DeviceEnrichment } from '../../core/defender-effects';
import { resolveMachine } from '../mde';
import type { StepKindHandler } from './types';

export const defenderLookup: StepKindHandler<'defender_lookup'> = {
  perDevice: () => true,

  aggregate(result, outcomes) {
    result.machines = outcomes.flatMap((o) => (o.machines as DeviceEnrichment[] | undefined) ?? []);
  },

  async run(ctx, step, _run, el) {
    const device = el.device;
    if (!device) return { id: step.id, status: 'skipped', machines: [] };
    ctx.record({ kind: 'defender.lookup', device: device.id });
    const mde = await resolveMachine(ctx, step, device);
    const ok = mde.status === 'found' || mde.status === 'dry_run';
    return ok
      ? { id: step.id, status: 'succeeded', machines: [mde] }
      : { id: step.id, status: 'failed', reason: mde.error || mde.status, machines: [mde] };
  },
};
