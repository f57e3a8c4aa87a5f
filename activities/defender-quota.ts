// The Defender client's quota permits (integrations/defender/caller.ts CallPermits) from this process's
// QuotaGate (integrations/defender/quota.ts explains the mechanism), and the count of processes that
// share the quota, read from the pollers Temporal reports on the Defender task queue.
//
// A short wait for a slot is spent in the activity (heartbeating); a longer one ends the attempt, uncalled,
// with a BENIGN failure that retries when the slot comes, so a waiting call does not hold an activity slot.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { DefenderFailure } from '../core/failures';
import type { CallPermits } from '../integrations/defender/caller';
import type { DefenderClient } from '../integrations/defender/client';
import { LATE_CALL_MS, QuotaGate, type Quota } from '../integrations/defender/quota';
import { recordQuotaSkip } from './defender-task';

/** Waits up to this long inside the attempt (well within the activities' startToClose). */
export const WAIT_IN_TASK_MS = 20_000;

/**
 * Waits `ms`, heartbeating: the attempt must not be timed out (and retried alongside) while it waits. Before
 * its one call an attempt has recorded nothing, so the details it repeats are the previous attempt's.
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

export function gatePermits(gate: QuotaGate, now: () => number = Date.now): CallPermits {
  return {
    async take(what) {
      for (;;) {
        const t = now();
        const wait = gate.peek(t) - t;
        if (wait > WAIT_IN_TASK_MS) {
          recordQuotaSkip();
          throw ApplicationFailure.create({
            message: `Defender: ${what} waits for the quota; trying again in ${Math.ceil(wait / 1000)} s`,
            type: DefenderFailure.QuotaWait,
            // Not all at once when many were turned away together.
            nextRetryDelay: wait + Math.floor(Math.random() * 2_000),
            category: ApplicationFailureCategory.BENIGN,
          });
        }
        const at = gate.reserve(t);
        if (at > t) await pause(at - t);
        // Late for its slot (the slot still counts): a call sent now could crowd a later window.
        if (now() - at <= LATE_CALL_MS) return;
      }
    },
    throttled(retryAfterMs) {
      gate.holdUntil(now() + retryAfterMs);
    },
  };
}

/** A poller seen within this long still shares the quota (Temporal keeps pollers listed for minutes). */
export const POLLER_SEEN_WITHIN_MS = 90_000;

/** Identities of the workers that polled `taskQueue` for activities recently. */
export async function defenderPollers(
  client: Client,
  taskQueue: string,
  now = Date.now(),
): Promise<Set<string>> {
  const res = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: 2, // activity tasks
  });
  const seen = new Set<string>();
  for (const p of res.pollers ?? []) {
    const at = p.lastAccessTime;
    const ms = at ? Number(at.seconds ?? 0) * 1000 + Math.floor((at.nanos ?? 0) / 1e6) : now;
    if (now - ms <= POLLER_SEEN_WITHIN_MS && p.identity) seen.add(p.identity);
  }
  return seen;
}

/**
 * Keeps `gate` shared by the processes polling the Defender queue: counts them now and every `everyMs`.
 * This process counts even before Temporal lists it. Returns a stop function.
 */
export function shareQuotaWithPollers(opts: {
  gate: QuotaGate;
  client: Client;
  taskQueue: string;
  identity: string;
  everyMs?: number;
  onError?: (err: unknown) => void;
}): () => void {
  let stopped = false;
  const refresh = async () => {
    try {
      const seen = await defenderPollers(opts.client, opts.taskQueue);
      seen.add(opts.identity);
      if (!stopped) opts.gate.setSharedBy(seen.size);
    } catch (err) {
      // Keep the last count: Temporal unreachable stops the calls' tasks anyway.
      opts.onError?.(err);
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), opts.everyMs ?? 15_000);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

/**
 * This process's part of the Defender quota: every call of `client` takes a slot of `gate`, and `share`
 * starts counting the processes polling `taskQueue` so that they split the quota (returns its stop).
 */
export function processQuota(opts: {
  quotas: readonly Quota[];
  client: DefenderClient;
  temporal: Client;
  taskQueue: string;
  identity: string;
  everyMs?: number;
  onError?: (err: unknown) => void;
}): { gate: QuotaGate; share: () => () => void } {
  const gate = new QuotaGate(opts.quotas);
  opts.client.usePermits(gatePermits(gate));
  return {
    gate,
    share: () =>
      shareQuotaWithPollers({
        gate,
        client: opts.temporal,
        taskQueue: opts.taskQueue,
        identity: opts.identity,
        everyMs: opts.everyMs,
        onError: opts.onError,
      }),
  };
}
