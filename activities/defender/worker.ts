// Worker options for the Defender task queue. The quota is enforced by the Temporal server for the
// whole task queue (maxTaskQueueActivitiesPerSecond), so it holds across every worker process.
import type { WorkerOptions } from '@temporalio/worker';
import { DEFENDER_TASK_QUEUE } from '../contracts';
import type { AllDefenderActivities } from './activities';
import type { DefenderConfig, DefenderLimits } from './config';

/**
 * Activity tasks per second for the Defender queue: the stricter of the two documented quotas
 * (100/min = 1.67/s, 1,500/h = 0.42/s), i.e. 25 tasks per minute sustained with the defaults.
 */
export function defenderTaskRate(limits: Pick<DefenderLimits, 'callsPerMinute' | 'callsPerHour'>): number {
  return Math.min(limits.callsPerMinute / 60, limits.callsPerHour / 3600);
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
