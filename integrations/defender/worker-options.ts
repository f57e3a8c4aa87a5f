// Worker options for the Defender task queue. The quota is enforced by the Temporal server for the
// whole task queue (maxTaskQueueActivitiesPerSecond), so it holds across every worker process.
import type { WorkerOptions } from '@temporalio/worker';
import { DEFENDER_TASK_QUEUE } from '../../core/queues';
import type { AllDefenderActivities } from '../../core/defender-effects';
import type { DefenderConfig, DefenderLimits } from './config';
import { defenderTaskRate as quotaTaskRate } from './quota';

/**
 * Activity tasks per second for the Defender queue (one API call each): the largest rate whose worst
 * case — burst included — stays within every quota window (quota.ts). With the documented 100/min and
 * 1,500/h that is 0.416/s, about 25 tasks per minute, bound by the hourly quota.
 */
export function defenderTaskRate(limits: Pick<DefenderLimits, 'quotas' | 'taskQueuePartitions'>): number {
  return quotaTaskRate(limits.quotas, limits.taskQueuePartitions);
}

/** Temporal's default task dispatch rate per task queue, i.e. no limit of ours. */
export const UNLIMITED_TASKS_PER_SECOND = 100_000;

export type DefenderWorkerOptions = Pick<
  WorkerOptions,
  'taskQueue' | 'activities' | 'maxTaskQueueActivitiesPerSecond' | 'maxConcurrentActivityTaskExecutions'
>;

/**
 * Spread into Worker.create({ connection, ...defenderWorkerOptions(cfg, { activities }) }). Every worker polling the
 * Defender queue should pass the same rate: the server applies the most recent poller's value.
 */
export function defenderWorkerOptions(
  cfg: DefenderConfig,
  opts: { taskQueue?: string; activities?: AllDefenderActivities } = {},
): DefenderWorkerOptions {
  return {
    taskQueue: opts.taskQueue ?? DEFENDER_TASK_QUEUE,
    ...(opts.activities ? { activities: opts.activities } : {}),
    // A dry run calls nothing, so it takes no quota: Temporal's own default dispatch rate, stated
    // explicitly because the server keeps the last rate a poller gave until one gives another.
    maxTaskQueueActivitiesPerSecond: cfg.dryRun ? UNLIMITED_TASKS_PER_SECOND : defenderTaskRate(cfg),
    // Calls are I/O-bound and rate-limited upstream; a few concurrent slots suffice.
    maxConcurrentActivityTaskExecutions: 20,
  };
}
