// The Defender client's quota permits (integrations/defender/caller.ts CallPermits), from the deployment's
// quota entity (workflows/defender-quota.ts), asked by Update (update-with-start on first use).
//
// A short wait for room is spent in the activity (the keep-alive heartbeats meanwhile); a longer one ends
// the attempt, uncalled, with a BENIGN failure that retries when the slot comes, so a waiting call does
// not hold an activity slot.
import { Context, activityInfo } from '@temporalio/activity';
import { type Client, WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { DefenderFailure } from '../core/failures';
import type { CallPermits } from '../integrations/defender/caller';
import { DefenderCallLate } from '../integrations/defender/errors';
import { CALL_DELAY_BOUND_MS, type Quota } from '../integrations/defender/quota';
import {
  acquireUpdate,
  defenderQuotaWorkflowId,
  type AcquireAnswer,
  type AcquireRequest,
  type defenderQuota,
} from '../workflows/defender-quota';
import { withCongestionRetry } from './blast-radius';
import { recordQuotaSkip } from './defender-task';

/** Waits up to this long inside the attempt; longer ones end it (well within startToClose). */
export const WAIT_IN_TASK_MS = 15_000;

/** The asking activity (its promised slot is kept for it across attempts), or a one-off key. */
function askerKey(): string {
  try {
    const info = activityInfo();
    return `${info.workflowExecution?.workflowId ?? info.activityType}/${info.activityId}`;
  } catch {
    return `direct/${Math.random().toString(36).slice(2)}`;
  }
}

/**
 * Waits `ms`, heartbeating: the attempt must not be timed out (and retried alongside) while it waits,
 * which could send its call twice. Before its one call an attempt has recorded nothing, so the details
 * it repeats are the previous attempt's (as the keep-alive does).
 */
async function pause(ms: number): Promise<void> {
  let ctx: Context | undefined;
  try {
    ctx = Context.current();
  } catch {
    // Called directly, outside an activity (unit tests).
  }
  if (!ctx) return new Promise((r) => setTimeout(r, ms));
  const until = Date.now() + ms;
  for (let left = ms; left > 0; left = until - Date.now()) {
    ctx.heartbeat(ctx.info.heartbeatDetails);
    await ctx.sleep(Math.min(left, 1_000)); // throws if the activity is cancelled
  }
}

export function createDefenderPermits(opts: {
  client: Client;
  /** The workflow task queue: where the entity runs. */
  taskQueue: string;
  /** The Defender task queue: the entity's id (one quota per Defender queue, i.e. per tenant). */
  defenderTaskQueue: string;
  quotas: Quota[];
}): CallPermits {
  const workflowId = defenderQuotaWorkflowId(opts.defenderTaskQueue);
  const ask = async (req: AcquireRequest): Promise<AcquireAnswer> => {
    try {
      return await opts.client.workflow.getHandle(workflowId).executeUpdate(acquireUpdate, { args: [req] });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      return opts.client.workflow.executeUpdateWithStart(acquireUpdate, {
        args: [req],
        startWorkflowOperation: new WithStartWorkflowOperation<typeof defenderQuota>('defenderQuota', {
          workflowId,
          taskQueue: opts.taskQueue,
          args: [{ grants: [], promises: [] }],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });
    }
  };
  return {
    async take(what) {
      const key = askerKey();
      for (;;) {
        const askedAt = Date.now();
        const { waitMs } = await withCongestionRetry(() => ask({ key, quotas: opts.quotas }));
        if (waitMs === 0) {
          const took = Date.now() - askedAt;
          if (took <= CALL_DELAY_BOUND_MS) return;
          // The grant still counts (conservative); this attempt made no call.
          recordQuotaSkip();
          throw new DefenderCallLate(what, took);
        }
        if (waitMs > WAIT_IN_TASK_MS) {
          recordQuotaSkip();
          throw ApplicationFailure.create({
            message: `Defender: ${what} waits for the quota; trying again in ${Math.ceil(waitMs / 1000)} s`,
            type: DefenderFailure.QuotaWait,
            nextRetryDelay: waitMs,
            category: ApplicationFailureCategory.BENIGN,
          });
        }
        await pause(waitMs);
      }
    },
  };
}
