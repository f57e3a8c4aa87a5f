// Releasing a device from the console: a small workflow on the existing queues that asks Defender to
// release (or unrestrict) one machine through the same Defender activities as playbooks — the same
// quota, idempotency (the workflow id is the action's key) and dry run — and waits
// until Defender's action is final. Its history records who asked, why, and what Defender answered:
// the audit reads it from there.
import { ActivityFailure, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { DefenderActivities, MachineActionStatus } from '../core/effects';
import { FINAL_MACHINE_ACTION_STATES } from '../core/effects';
import { defenderTaskQueue } from '../core/queues';
import { defenderActivityOptions, isPendingTimeout } from './activity-options';
import { SA_DEVICE_IDS } from '../core/search-attributes';

export const DEVICE_RELEASE_WORKFLOW = 'deviceRelease';

export type ReleaseAction = 'release' | 'unrestrict_apps';

/** What each containment is undone by. */
export const RELEASE_OF: Record<string, ReleaseAction> = {
  isolate: 'release',
  restrict_apps: 'unrestrict_apps',
};

export interface ReleaseInput {
  deviceId: string;
  action: ReleaseAction;
  /** Person id of nightshift.yaml who asked, and their name (for Defender's comment). */
  personId: string;
  personName: string;
  reason: string;
  /** Where the request came from: console (or api). */
  channel: string;
  /** The run and Defender action that contained the device, when known. */
  containedBy?: { workflowId: string; actionId?: string };
}

export interface ReleaseOutcome {
  status: MachineActionStatus | 'timed_out';
  actionId?: string;
  dryRun: boolean;
  attached: boolean;
}

/** How long a release waits for Defender to finish it. */
export const RELEASE_TIMEOUT_MS = 10 * 60_000;

/**
 * One release at a time per containment: asking twice (two clicks, two responders) finds the running
 * one; a release that failed may be asked again under the same id. A device contained again later
 * (another action id) gets a release of its own.
 */
export function releaseWorkflowId(
  deviceId: string,
  action: ReleaseAction,
  containmentActionId?: string,
): string {
  return `nightshift-release/${action}/${deviceId}/${containmentActionId || 'manual'}`;
}

export async function deviceRelease(input: ReleaseInput): Promise<ReleaseOutcome> {
  const info = workflowInfo();
  upsertSearchAttributes([{ key: SA_DEVICE_IDS, value: [input.deviceId] }]);
  const opts = defenderActivityOptions(RELEASE_TIMEOUT_MS, defenderTaskQueue(info.taskQueue));
  const { defenderSubmit } = proxyActivities<DefenderActivities>(opts.submit);
  const { defenderPoll } = proxyActivities<DefenderActivities>(opts.poll);
  const reason = input.reason.replace(/\s+/g, ' ').trim().slice(0, 300);
  const submitted = await defenderSubmit({
    key: info.workflowId,
    run: {
      workflowId: info.workflowId,
      playbook: 'console',
      playbookVersion: 0,
      stepId: input.action,
      detectionId: input.containedBy?.workflowId ?? '',
    },
    action: input.action,
    machineId: input.deviceId,
    params: { comment: `${input.personName} via Nightshift ${input.channel}: ${reason}` },
  });
  const out: ReleaseOutcome = {
    status: submitted.status,
    actionId: submitted.actionId,
    dryRun: submitted.dryRun,
    attached: submitted.attached,
  };
  if (FINAL_MACHINE_ACTION_STATES.includes(submitted.status) || !submitted.actionId) return out;
  try {
    out.status = (await defenderPoll({ actionId: submitted.actionId, machineId: input.deviceId })).status;
  } catch (err) {
    if (err instanceof ActivityFailure && isPendingTimeout(err)) out.status = 'timed_out';
    else throw err;
  }
  return out;
}
