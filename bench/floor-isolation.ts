// The floor of scenario 1 (issue 12 row 1): the least a Temporal workflow can do to isolate a device —
// start, then one Defender activity that POSTs the isolation to the fake, with the product's activity
// options and task queue. No intake, no announcement, no lookup, no reservation: what is left of a
// detection → isolate POST latency once every step but the POST is gone.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { DefenderActivities, DefenderSubmitResult } from '../core/effects';
import { defenderTaskQueue } from '../core/queues';
import { DEFAULT_DEFENDER_TIMEOUT_MS } from '../core/run';
import { defenderActivityOptions } from '../workflows/activity-options';

export interface FloorInput {
  machineId: string;
  detectionId: string;
}

export async function floorIsolation({ machineId, detectionId }: FloorInput): Promise<DefenderSubmitResult> {
  const info = workflowInfo();
  const opts = defenderActivityOptions(DEFAULT_DEFENDER_TIMEOUT_MS, defenderTaskQueue(info.taskQueue));
  return proxyActivities<DefenderActivities>(opts.submit).defenderSubmit({
    key: `${info.workflowId}/isolate/0/${machineId}`,
    run: {
      workflowId: info.workflowId,
      playbook: 'floor-isolation',
      playbookVersion: 1,
      stepId: 'isolate',
      detectionId,
    },
    action: 'isolate',
    machineId,
    params: { type: 'full', comment: `nightshift floor: ${detectionId}` },
  });
}
