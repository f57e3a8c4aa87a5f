// Every activity's options, in one place: the playbook run, the intake poller, the blast-radius entity,
// the benchmark's hand-written workflow and the tests all proxy activities with these. Workflow-safe:
// only types and constants of @temporalio/common.
import type { ActivityOptions } from '@temporalio/common';
import { DEFENDER_NON_RETRYABLE_TYPES, DefenderFailure } from '../core/failures';
import { DEFENDER_TASK_QUEUE } from '../core/queues';

/**
 * Heartbeat timeout of Defender and channel activities. They heartbeat while they run
 * (activities/keep-alive.ts), so a worker that dies mid-activity (kill -9) is noticed this long after its
 * last heartbeat and the attempt retried on another worker, instead of after a start-to-close timeout.
 */
export const ACTIVITY_HEARTBEAT_TIMEOUT_MS = 5_000;

/** Channels and webhooks: a few quick retries; each call is idempotent by its key. */
export const CHANNEL_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT_MS,
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
};

/** The blast-radius activities (the activity retries congestion itself; this is for a dead worker). */
export const BLAST_RADIUS_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '2 seconds' },
};

/** The same, as local activities (runs recorded with the `blast-radius-local-activity` patch). */
export const BLAST_RADIUS_LOCAL_ACTIVITY_OPTIONS = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '2 seconds' },
} as const;

export interface DefenderActivityOptions {
  /** For defenderSubmit: bounded by the step timeout; 429 waits for Retry-After, 5xx backs off. */
  submit: ActivityOptions;
  /**
   * For defenderPoll: each poll is one activity task on the Defender queue. While the action is
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
 * The alert poller's read of one page of alerts (Defender queue). A final failure (a bad rule, a missing
 * permission) keeps the poller's cursor and is tried again at the next poll.
 */
export function alertFetchOptions(taskQueue: string): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: '2 minutes',
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '5 minutes',
      nonRetryableErrorTypes: [...DEFENDER_NON_RETRYABLE_TYPES, DefenderFailure.InvalidRule],
    },
  };
}

/** Intake retries until it succeeds: the poller's cursor must not move past detections not handed over. */
export function intakeOptions(taskQueue: string): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
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
    (cause.name === 'ApplicationFailure' && cause.type === DefenderFailure.ActionPending)
  );
}
