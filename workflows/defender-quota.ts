// The deployment-wide Defender quota (integrations/defender/quota.ts): one long-lived entity workflow
// grants API calls while every quota window has room. Its state (the grant times) is its history, so the
// quota holds across worker processes and restarts.
//
// A caller that finds no room gets a promised slot ("not before T", T computed with the promises made
// before as if granted), so waiters come back spread out, one after another, instead of all at the next
// free moment. A promise is only an order: a grant is always checked against the windows, and a promise
// not claimed within PROMISE_GRACE_MS is dropped.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { liveGrants, nextSlot, type Quota } from '../core/quota-windows';

/** One entity per Defender task queue: `nightshift-defender-quota/nightshift-defender`. */
export function defenderQuotaWorkflowId(defenderTaskQueue: string): string {
  return `nightshift-defender-quota/${defenderTaskQueue}`;
}

export interface AcquireRequest {
  /** Who asks (an activity: its workflow and activity id): a promised slot is kept for it. */
  key: string;
  /** The quota windows to hold (each worker passes its configuration; the entity applies the latest). */
  quotas: Quota[];
}

/** `waitMs: 0`: granted now (and recorded). Otherwise nothing was recorded: ask again in `waitMs`. */
export interface AcquireAnswer {
  waitMs: number;
}

export interface DefenderQuotaState {
  /** Epoch ms (entity time) of the grants that still count in some window. */
  grants: number[];
  /** Promised slots: key → epoch ms. */
  promises: Array<[string, number]>;
}

export const acquireUpdate = defineUpdate<AcquireAnswer, [AcquireRequest]>('acquire');
export const quotaStateQuery = defineQuery<DefenderQuotaState>('quotaState');

/** How late a caller may come back for its promised slot before it is given to others. */
export const PROMISE_GRACE_MS = 10_000;
/**
 * Continue-as-new well before Temporal's limits (the server also caps Updates per run, 2,000 by default),
 * carrying the grants; each grant or answer costs a few events.
 */
const MAX_UPDATES_PER_RUN = 1_000;
const MAX_HISTORY_EVENTS = 10_000;

export async function defenderQuota(
  carried: DefenderQuotaState = { grants: [], promises: [] },
): Promise<void> {
  let grants = carried.grants;
  const promises = new Map(carried.promises);
  let handled = 0;

  const acquire = ({ key, quotas }: AcquireRequest): AcquireAnswer => {
    handled += 1;
    const now = Date.now();
    grants = liveGrants(grants, quotas, now);
    for (const [k, at] of promises) if (at + PROMISE_GRACE_MS < now) promises.delete(k);
    // The promises made before this caller's count as if granted: a newcomer does not take a slot
    // promised to a waiter, and waiters are served in the order they were promised.
    const mine = promises.get(key);
    const others = [...promises]
      .filter(([k, t]) => k !== key && (mine === undefined || t < mine || (t === mine && k < key)))
      .map(([, t]) => t);
    const at = nextSlot([...grants, ...others], quotas, now);
    if (at <= now) {
      promises.delete(key);
      grants.push(now);
      return { waitMs: 0 };
    }
    promises.set(key, at);
    return { waitMs: at - now };
  };
  setHandler(acquireUpdate, acquire);
  setHandler(quotaStateQuery, () => ({ grants, promises: [...promises] }));

  await condition(
    () =>
      handled >= MAX_UPDATES_PER_RUN ||
      workflowInfo().continueAsNewSuggested ||
      workflowInfo().historyLength > MAX_HISTORY_EVENTS,
  );
  await condition(allHandlersFinished);
  await continueAsNew<typeof defenderQuota>({ grants, promises: [...promises] });
}
