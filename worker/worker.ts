// The Nightshift workers: the main task queue (playbook runs, channels, webhooks, intake, blast radius)
// and the Defender task queue, whose pollers share the Defender quota (integrations/defender/quota.ts).
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker, type Logger, type WorkerOptions } from '@temporalio/worker';
import { DEFENDER_TASK_QUEUE, TASK_QUEUE } from '../core/queues';
import { workflowSource } from './workflow-bundle';

export interface WorkerSet {
  run(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface WorkerSetOptions {
  connection: NativeConnection;
  namespace: string;
  client: Client;
  /** Activities of the main task queue. */
  activities: object;
  /** Activities of the Defender task queue. */
  defenderActivities: object;
  /** Worker options of the Defender queue (concurrency, identity…). */
  defenderOptions?: Partial<WorkerOptions>;
  taskQueue?: string;
  defenderTaskQueue?: string;
  /** Workflow sinks (metrics). */
  sinks?: WorkerOptions['sinks'];
  /** Seconds to let in-flight activities finish on shutdown. */
  shutdownGraceTime?: string;
  /** Where the workflow bundler reports, when the prebuilt bundle is stale (default: nowhere). */
  bundlerLogger?: Logger;
  /** Memory (MiB) for cached runs (NIGHTSHIFT_WORKER_CACHE_MIB); the SDK's count-based default otherwise. */
  cacheMiB?: number;
}

/**
 * What one cached run waiting on an approval holds in a worker process, in KiB: the 3,000-run
 * measurement of bench/RESULTS.md (2,384 MiB RSS, ≈ 300 MiB idle, ≈ 2,300 runs in the SDK's default
 * cache) less the ≈ 51 KiB now shared per org (workflows/shared-org.ts), rounded up. Most of it is the
 * SDK's own per-run state, not the interpreter's.
 */
export const CACHED_RUN_KIB = 900;

/** How many runs fit in `cacheMiB` of worker memory. */
export function cachedRunsFor(cacheMiB: number): number {
  return Math.max(2, Math.floor((cacheMiB * 1024) / CACHED_RUN_KIB));
}

export async function createWorkers(opts: WorkerSetOptions): Promise<WorkerSet> {
  const shutdownGraceTime = (opts.shutdownGraceTime ?? '10s') as WorkerOptions['shutdownGraceTime'];
  const main = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    ...(await workflowSource(opts.bundlerLogger)),
    activities: opts.activities,
    sinks: opts.sinks,
    shutdownGraceTime,
    // Sized for memory, not count: the SDK's default (≈ 600 runs per GiB of heap) assumed every run
    // held its own org and CEL environment.
    ...(opts.cacheMiB ? { maxCachedWorkflows: cachedRunsFor(opts.cacheMiB) } : {}),
    // A run whose worker died (kill -9) has its next workflow task routed to that worker's sticky queue:
    // moved to the shared queue after this long (default 10 s) instead of waiting the default out. A live
    // worker takes its sticky tasks in milliseconds.
    stickyQueueScheduleToStartTimeout: '3 seconds',
  });
  const defender = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.defenderTaskQueue ?? DEFENDER_TASK_QUEUE,
    activities: opts.defenderActivities,
    shutdownGraceTime,
    ...opts.defenderOptions,
  });
  let running: Promise<void> | undefined;
  return {
    run() {
      running ??= Promise.all([main.run(), defender.run()]).then(() => undefined);
      return running;
    },
    async shutdown() {
      for (const w of [main, defender]) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
    },
  };
}
