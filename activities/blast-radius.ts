// Activities that talk to the blast-radius entity workflow. A workflow cannot send an Update to another
// workflow, so runs reserve through this activity (update-with-start: the entity starts on first use).
import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import type { ReserveIsolationRequest } from '../core/effects';
import {
  blastRadiusWorkflowId,
  releaseUpdate,
  reserveUpdate,
  type blastRadius,
} from '../workflows/blast-radius';

export interface BlastRadiusActivities {
  /** Starts the deployment's blast-radius entity if it is not running (runs then ask it by signal). */
  ensureBlastRadius(): Promise<void>;
  /** Kept for runs recorded before the signal protocol (they replay these activities). */
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
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      return await call();
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError || Date.now() + delay > until) throw err;
      await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())));
    }
  }
}

export function createBlastRadiusActivities(client: Client, taskQueue: string): BlastRadiusActivities {
  const workflowId = blastRadiusWorkflowId(taskQueue);
  const start = () =>
    new WithStartWorkflowOperation<typeof blastRadius>('blastRadius', {
      workflowId,
      taskQueue,
      args: [[], []],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  // A plain Update to the running entity; update-with-start only when it does not exist yet. Sending
  // update-with-start every time makes concurrent requests conflict on the start and abort each other.
  const firstUse = (err: unknown) => {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  };
  const reserve = async (req: ReserveIsolationRequest): Promise<boolean> => {
    try {
      return await client.workflow.getHandle(workflowId).executeUpdate(reserveUpdate, { args: [req] });
    } catch (err) {
      firstUse(err);
      return client.workflow.executeUpdateWithStart(reserveUpdate, {
        args: [req],
        startWorkflowOperation: start(),
      });
    }
  };
  const release = async (req: { key: string }): Promise<void> => {
    try {
      await client.workflow.getHandle(workflowId).executeUpdate(releaseUpdate, { args: [req] });
    } catch (err) {
      firstUse(err);
      await client.workflow.executeUpdateWithStart(releaseUpdate, {
        args: [req],
        startWorkflowOperation: start(),
      });
    }
  };
  return {
    async ensureBlastRadius() {
      await client.workflow.start<typeof blastRadius>('blastRadius', {
        workflowId,
        taskQueue,
        args: [[], []],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
    },
    async reserveIsolation(req) {
      return withCongestionRetry(() => reserve(req));
    },
    async releaseIsolation(req) {
      await withCongestionRetry(() => release(req));
    },
  };
}
