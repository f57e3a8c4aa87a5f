// Worker options for the Defender task queue. The quota is held by each process's QuotaGate (quota.ts),
// not by Temporal: the server's task-queue rate limit paces tasks evenly and allows no burst.
import type { WorkerOptions } from '@temporalio/worker';
import { DEFENDER_TASK_QUEUE } from '../../core/queues';
import type { AllDefenderActivities } from '../../core/defender-effects';

/** Temporal's default task dispatch rate per task queue, i.e. no limit of ours. */
export const UNLIMITED_TASKS_PER_SECOND = 100_000;

export type DefenderWorkerOptions = Pick<
  WorkerOptions,
  'taskQueue' | 'activities' | 'maxTaskQueueActivitiesPerSecond' | 'maxConcurrentActivityTaskExecutions'
>;

/** Spread into Worker.create({ connection, ...defenderWorkerOptions({ activities }) }). */
export function defenderWorkerOptions(
  opts: { taskQueue?: string; activities?: AllDefenderActivities } = {},
): DefenderWorkerOptions {
  return {
    taskQueue: opts.taskQueue ?? DEFENDER_TASK_QUEUE,
    ...(opts.activities ? { activities: opts.activities } : {}),
    // Stated explicitly: the server keeps the last rate a poller gave (earlier versions set one) until a
    // poller gives another.
    maxTaskQueueActivitiesPerSecond: UNLIMITED_TASKS_PER_SECOND,
    // Calls are I/O-bound and paced by the quota gate; a call waiting for its slot holds one of these.
    maxConcurrentActivityTaskExecutions: 20,
  };
}
