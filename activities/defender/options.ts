// Activity options for Defender calls, shared by the interpreter (workflow code) and tests. Workflow-safe:
// no Node APIs, only types and constants, so the workflow bundle may import it.
import type { ActivityOptions } from '@temporalio/common';
import { ACTIVITY_HEARTBEAT_TIMEOUT_MS, DEFENDER_TASK_QUEUE } from '../contracts';

/** Default delay between status polls of a machine action (DEFENDER_POLL_INTERVAL_MS overrides it). */
export const DEFENDER_POLL_INTERVAL_MS = 10_000;

/** Failure types that must not be retried (4xx, rejected credentials, invalid step parameters). */
export const DEFENDER_NON_RETRYABLE_TYPES: string[] = [
  'DefenderBadRequest',
  'DefenderUnauthorized',
  'DefenderForbidden',
  'DefenderNotFound',
  'DefenderClientError',
  'DefenderAuthFailed',
  'DefenderInvalidRequest',
];

/** Type of the retryable failure defenderPoll throws while an action is Pending/InProgress. */
export const DEFENDER_ACTION_PENDING = 'ActionPending';

/**
 * Type of the BENIGN failure a Defender activity throws to do its next API call in a new task (one
 * call per task keeps the quota in calls, quota.ts); its state travels in heartbeat details.
 */
export const DEFENDER_CONTINUE = 'DefenderContinue';

export interface DefenderActivityOptions {
  /** For defenderSubmit: bounded by the step timeout; 429 waits for Retry-After, 5xx backs off. */
  submit: ActivityOptions;
  /**
   * For defenderPoll: each poll is one activity task on the rate-limited queue. While the action is
   * not final the activity fails with a BENIGN `ActionPending` whose nextRetryDelay is the poll interval,
   * so the server schedules the next poll; the step timeout (schedule-to-close) ends the wait.
   */
  poll: ActivityOptions;
}

/**
 * @param stepTimeoutMs the Defender step's `timeout` (default 10m). Pass the *remaining* step time for
 *   `poll` if the submit took a noticeable share of it.
 * @param taskQueue the Defender queue (tests use their own).
 */
export function defenderActivityOptions(
  stepTimeoutMs: number,
  taskQueue: string = DEFENDER_TASK_QUEUE,
): DefenderActivityOptions {
  const scheduleToCloseTimeout = Math.max(1_000, Math.floor(stepTimeoutMs));
  return {
    submit: {
      taskQueue,
      // One API call, bounded by the client's connect/headers/body timeouts.
      startToCloseTimeout: '2 minutes',
      // A dead worker's attempt is retried within seconds, not after startToClose.
      heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT_MS,
      scheduleToCloseTimeout,
      retry: {
        initialInterval: '2 seconds',
        backoffCoefficient: 2,
        maximumInterval: '1 minute',
        nonRetryableErrorTypes: DEFENDER_NON_RETRYABLE_TYPES,
      },
    },
    poll: {
      taskQueue,
      startToCloseTimeout: '1 minute',
      heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT_MS,
      scheduleToCloseTimeout,
      retry: {
        // ActionPending and 429 carry their own nextRetryDelay; this backoff is for 5xx/network errors.
        initialInterval: '1 second',
        backoffCoefficient: 2,
        maximumInterval: '1 minute',
        nonRetryableErrorTypes: DEFENDER_NON_RETRYABLE_TYPES,
      },
    },
  };
}

/**
 * Did a defenderPoll end because the step ran out of time with the action still pending? Temporal reports
 * that as a TimeoutFailure, or, when the next retry would start after the schedule-to-close deadline, as
 * the last attempt's own failure: the BENIGN ActionPending.
 */
export function isPendingTimeout(err: unknown): boolean {
  const cause = (err as { cause?: { name?: string; type?: string | null } } | undefined)?.cause;
  if (!cause) return false;
  return (
    cause.name === 'TimeoutFailure' ||
    (cause.name === 'ApplicationFailure' && cause.type === DEFENDER_ACTION_PENDING)
  );
}
