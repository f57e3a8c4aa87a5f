// Worker options for the Defender task queue. The quota is not held here: every API call takes a permit
// from the deployment's quota entity (quota.ts), which lets a burst up to the per-minute quota go at once.
// A task-queue rate limit (Temporal's even token bucket) would pace that burst out, so there is none.
import type { WorkerOptions } from '@temporalio/worker';
import { DEFENDER_TASK_QUEUE } from '../../core/queues';
import type { AllDefenderActivities } from '../../core/defender-effects';
import type { DefenderConfig } from './config';

/** Temporal's default task dispatch rate per task queue, i.e. no limit of ours. */
export const UNLIMITED_TASKS_PER_SECOND = 100_000;

export type DefenderWorkerOptions = Pick<
  WorkerOptions,
  'taskQueue' | 'activities' | 'maxTaskQueueActivitiesPerSecond' | 'maxConcurrentActivityTaskExecutions'
>;

/** Spread into Worker.create({ connection, ...defenderWorkerOptions(cfg, { activities }) }). */
export function defenderWorkerOptions(
  _cfg: DefenderConfig,
  opts: { taskQueue?: string; activities?: AllDefenderActivities } = {},
): DefenderWorkerOptions {
  return {
    taskQueue: opts.taskQueue ?? DEFENDER_TASK_QUEUE,
    ...(opts.activities ? { activities: opts.activities } : {}),
    // Stated explicitly because the server keeps the last rate a poller gave (earlier versions of
    // Nightshift held the quota with it) until one gives another.
    maxTaskQueueActivitiesPerSecond: UNLIMITED_TASKS_PER_SECOND,
    // Calls are I/O-bound and limited by the quota's permits; a few concurrent slots suffice (a task
    // waits for a permit in its slot at most WAIT_IN_TASK_MS, activities/defender-quota.ts).
    maxConcurrentActivityTaskExecutions: 20,
  };
}
