// Activities that talk to the blast-radius entity workflow. A workflow cannot send an Update to another
// workflow, so runs reserve through this activity (update-with-start: the entity starts on first use).
import { type Client, WithStartWorkflowOperation } from '@temporalio/client';
import type { ReserveIsolationRequest } from '../workflows/interpreter/runtime';
import {
  blastRadiusWorkflowId,
  releaseUpdate,
  reserveUpdate,
  type blastRadius,
} from '../workflows/blast-radius';

export interface BlastRadiusActivities {
  reserveIsolation(req: ReserveIsolationRequest): Promise<boolean>;
  releaseIsolation(req: { key: string }): Promise<void>;
}

export function createBlastRadiusActivities(client: Client, taskQueue: string): BlastRadiusActivities {
  const start = () =>
    new WithStartWorkflowOperation<typeof blastRadius>('blastRadius', {
      workflowId: blastRadiusWorkflowId(taskQueue),
      taskQueue,
      args: [[]],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  return {
    async reserveIsolation(req) {
      return client.workflow.executeUpdateWithStart(reserveUpdate, {
        args: [req],
        startWorkflowOperation: start(),
      });
    },
    async releaseIsolation(req) {
      await client.workflow.executeUpdateWithStart(releaseUpdate, {
        args: [req],
        startWorkflowOperation: start(),
      });
    },
  };
}
