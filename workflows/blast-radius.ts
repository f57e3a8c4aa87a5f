// The deployment-wide blast-radius limit (spec §2): one long-lived entity workflow counts automatic
// isolations over a sliding window, so the limit holds across concurrent runs and worker restarts (the
// state is the workflow's history).
//
// Runs ask by signal and are answered by signal. Signals have no in-flight limit and arrive in batches,
// so one workflow task decides many requests: Updates (still accepted, for runs started before) allow
// only a few in flight per workflow and collapse into retries under an alert storm.
import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  setHandler,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { ReserveIsolationRequest } from '../core/effects';

/** One entity per deployment (task queue): `nightshift-blast-radius/nightshift`. */
export function blastRadiusWorkflowId(taskQueue: string): string {
  return `nightshift-blast-radius/${taskQueue}`;
}

export interface Reservation {
  key: string;
  deviceId: string;
  workflowId: string;
  /** Epoch ms (workflow time) the reservation was made. */
  at: number;
}

/** What a run asks the entity: a slot for one automatic isolation, within the policy's limit. */
export type ReserveInput = ReserveIsolationRequest;

export const reserveUpdate = defineUpdate<boolean, [ReserveInput]>('reserve');
/** A run asks for a slot; the answer comes back to it as `reservationAnswerSignal`. */
export const reserveSignal = defineSignal<[ReserveInput]>('reserveRequest');
export const releaseSignal = defineSignal<[{ key: string }]>('releaseRequest');
/** Sent to the requesting run. */
export const reservationAnswerSignal = defineSignal<[{ key: string; granted: boolean }]>('reservationAnswer');
export const releaseUpdate = defineUpdate<void, [{ key: string }]>('release');
export const reservationsQuery = defineQuery<Reservation[]>('reservations');

/**
 * Continue-as-new well before Temporal's limits, but not so often that the hand-over (which turns away
 * Updates in flight) happens every few hundred reservations under a storm.
 */
const MAX_HISTORY_EVENTS = 10_000;
/** Longest window worth remembering; older reservations can never count again. */
const MAX_WINDOW_MS = 31 * 24 * 3600_000;

export async function blastRadius(carried: Reservation[] = [], pending: ReserveInput[] = []): Promise<void> {
  let reservations = carried;
  const prune = (windowMs: number) => {
    const since = Date.now() - windowMs;
    reservations = reservations.filter((r) => r.at > since);
  };
  const decide = ({ key, deviceId, workflowId, limit, windowMs }: ReserveInput): boolean => {
    // Idempotent: a request asked again gets the answer it got the first time.
    if (reservations.some((r) => r.key === key)) return true;
    prune(windowMs);
    if (reservations.length >= limit) return false;
    reservations.push({ key, deviceId, workflowId, at: Date.now() });
    return true;
  };
  const release = ({ key }: { key: string }) => {
    reservations = reservations.filter((r) => r.key !== key);
  };
  // Requests carried over a continue-as-new are answered first.
  const queue: ReserveInput[] = [...pending];
  setHandler(reserveSignal, (req) => void queue.push(req));
  setHandler(releaseSignal, release);
  setHandler(reserveUpdate, decide);
  setHandler(releaseUpdate, release);
  setHandler(reservationsQuery, () => reservations);

  const due = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY_EVENTS;
  for (;;) {
    await condition(() => queue.length > 0 || due());
    if (queue.length === 0) break;
    const batch = queue.splice(0, queue.length);
    await Promise.all(
      batch.map(async (req) => {
        const granted = decide(req);
        try {
          await getExternalWorkflowHandle(req.workflowId).signal(reservationAnswerSignal, {
            key: req.key,
            granted,
          });
        } catch {
          // The run is gone (terminated): a slot it will never use is given back.
          if (granted) release(req);
        }
      }),
    );
  }
  await condition(allHandlersFinished);
  prune(MAX_WINDOW_MS);
  // Requests that arrived during the hand-over go along with it.
  await continueAsNew<typeof blastRadius>(reservations, queue);
}
