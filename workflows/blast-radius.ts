// The deployment-wide blast-radius limit (spec §2): one long-lived entity workflow counts automatic
// isolations over a sliding window. Every run reserves a slot through an Update before isolating, so
// the limit holds across concurrent runs and worker restarts (the state is the workflow's history).
import {
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  setHandler,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';

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

export interface ReserveInput {
  key: string;
  deviceId: string;
  workflowId: string;
  limit: number;
  windowMs: number;
}

export const reserveUpdate = defineUpdate<boolean, [ReserveInput]>('reserve');
export const releaseUpdate = defineUpdate<void, [{ key: string }]>('release');
export const reservationsQuery = defineQuery<Reservation[]>('reservations');

/** Keep history short: the state is small, so continue-as-new often. */
const MAX_HISTORY_EVENTS = 2000;
/** Longest window worth remembering; older reservations can never count again. */
const MAX_WINDOW_MS = 31 * 24 * 3600_000;

export async function blastRadius(carried: Reservation[] = []): Promise<void> {
  let reservations = carried;
  const prune = (windowMs: number) => {
    const since = Date.now() - windowMs;
    reservations = reservations.filter((r) => r.at > since);
  };
  setHandler(reserveUpdate, ({ key, deviceId, workflowId, limit, windowMs }) => {
    // Idempotent: a retried activity gets the answer it got the first time.
    if (reservations.some((r) => r.key === key)) return true;
    prune(windowMs);
    if (reservations.length >= limit) return false;
    reservations.push({ key, deviceId, workflowId, at: Date.now() });
    return true;
  });
  setHandler(releaseUpdate, ({ key }) => {
    reservations = reservations.filter((r) => r.key !== key);
  });
  setHandler(reservationsQuery, () => reservations);

  await condition(
    () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY_EVENTS,
  );
  await condition(allHandlersFinished);
  prune(MAX_WINDOW_MS);
  await continueAsNew<typeof blastRadius>(reservations);
}
