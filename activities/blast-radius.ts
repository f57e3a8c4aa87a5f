// Activities that talk to the blast-radius entity workflow. A workflow cannot send an Update to another
// workflow, so runs reserve through this activity (update-with-start: the entity starts on first use).
import { type Client, WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
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

/** How long one activity attempt keeps trying before Temporal's own retry takes over. */
const ATTEMPT_BUDGET_MS = 20_000;

/**
 * The server admits only a few Updates in flight per workflow and aborts admitted ones when it
 * reloads the workflow's state, so under an alert storm many reservations are turned away for a
 * moment. Retrying those within the attempt, quickly and with jitter, keeps isolations flowing
 * instead of backing every run off by seconds. A validator refusal is final.
 */
async function withCongestionRetry<T>(call: () => Promise<T>): Promise<T> {
  const until = Date.now() + ATTEMPT_BUDGET_MS;
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    try {
      return await call();
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError || Date.now() + delay > until) throw err;
      await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())));
    }
  }
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
      return withCongestionRetry(() =>
        client.workflow.executeUpdateWithStart(reserveUpdate, {
          args: [req],
          startWorkflowOperation: start(),
        }),
      );
    },
    async releaseIsolation(req) {
      await withCongestionRetry(() =>
        client.workflow.executeUpdateWithStart(releaseUpdate, {
          args: [req],
          startWorkflowOperation: start(),
        }),
      );
    },
  };
}
