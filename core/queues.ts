// Task queues. Defender calls have their own queue so that one Temporal task-queue rate limit holds the
// Defender quota across all workers; every other activity and every workflow uses the main queue.

export const TASK_QUEUE = 'nightshift';
export const DEFENDER_TASK_QUEUE = defenderTaskQueue(TASK_QUEUE);

/** The Defender task queue that serves a main task queue (`nightshift` → `nightshift-defender`). */
export function defenderTaskQueue(mainTaskQueue: string): string {
  return `${mainTaskQueue}-defender`;
}
