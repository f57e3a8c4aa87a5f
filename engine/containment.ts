// The containment guard of Defender steps (spec §2): a protected device is never contained
// automatically, and automatic isolations count against the deployment-wide blast-radius limit. A
// person's approval in this run lifts both.
import type { Device } from '../core/detection';
import { StepFailureReason } from '../core/failures';
import type { DefenderAction } from '../core/ir';
import type { RunContext } from './context';

/** Actions that contain a device (and so are refused on a protected one without a person's approval). */
export const CONTAINMENT_ACTIONS: readonly DefenderAction[] = ['isolate', 'restrict_apps'];

export type Guard =
  | { refused: (typeof StepFailureReason)[keyof typeof StepFailureReason] }
  | { refused?: undefined; reserved: boolean };

/** Whether `action` may act on `device` now, and whether a blast-radius slot was reserved for it. */
export async function guardContainment(
  ctx: RunContext,
  stepId: string,
  action: DefenderAction,
  device: Device | undefined,
  key: string,
): Promise<Guard> {
  if (device && CONTAINMENT_ACTIONS.includes(action) && ctx.ev.isProtected(device) && !ctx.humanApproved) {
    return { refused: StepFailureReason.Protected };
  }
  const policy = ctx.input.org.policy.maxAutoIsolations;
  if (action !== 'isolate' || !device || !policy || ctx.humanApproved) return { reserved: false };
  const reserved = await ctx.rt.effects.reserveIsolation({
    key,
    deviceId: device.id,
    workflowId: ctx.workflowId,
    limit: policy.count,
    windowMs: policy.perMs,
  });
  if (reserved) return { reserved: true };
  ctx.rt.onBlastRadiusRefused?.({ stepId, deviceId: device.id, limit: policy.count, windowMs: policy.perMs });
  return { refused: StepFailureReason.BlastRadius };
}

/** Gives back a reservation whose isolation did not happen. */
export async function releaseContainment(ctx: RunContext, key: string): Promise<void> {
  await ctx.rt.effects.releaseIsolation({ key });
}
