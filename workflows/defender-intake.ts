// Defender alert intake by polling: one long-running workflow per deployment (id DEFENDER_POLLER_WORKFLOW_ID)
// reads new and updated alerts, and hands the confirmed ones to `intakeDetections`. The cursor and the
// keys already handled live in workflow state and are carried over continue-as-new, so a worker restart
// neither misses nor repeats an alert. Why a workflow and not a Schedule: the cursor must advance only
// after intake succeeded, and a workflow's state is exactly that durable cursor — a Schedule would need
// the cursor stored elsewhere and could overlap runs.
import {
  ActivityFailure,
  continueAsNew,
  defineQuery,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Detection } from '../core/detection';
import type { DefenderAlertActivities, IntakeActivities } from '../core/effects';
import { defenderTaskQueue } from '../core/queues';
import { alertFetchOptions, intakeOptions } from './activity-options';

/** Recommended workflow id (start with workflowIdConflictPolicy USE_EXISTING): one poller per tenant. */
export const DEFENDER_POLLER_WORKFLOW_ID = 'defender-alert-poller';

export interface DefenderPollerInput {
  /** lastUpdateTime of the newest alert already handled (ISO). Absent: now − lookbackMs. */
  cursor?: string;
  /** Pause between polls. */
  intervalMs: number;
  /** CEL over `alert` and `detection`; default "detection.status == 'confirmed'" (classified TruePositive). */
  rule?: string;
  /** Keys (`id|lastUpdateTime`) handled within the overlap window; carried over continue-as-new. */
  seen?: string[];
  /** $top per page (default 200, at most 1000). */
  pageSize?: number;
  /** Each poll re-reads this far before the cursor, for alerts that become visible late (default 5 min). */
  overlapMs?: number;
  /** First start without a cursor reads this far back (default 1 h). */
  lookbackMs?: number;
  /** Queue of the Defender activities (default: `${taskQueue}-defender`). */
  defenderTaskQueue?: string;
  /** Queue of intakeDetections (default: this workflow's task queue). */
  intakeTaskQueue?: string;
  /** Polls per run before continue-as-new (default 200). */
  pollsPerRun?: number;
}

export interface DefenderPollerState {
  cursor?: string;
  seen: number;
  polls: number;
  accepted: number;
  lastError?: string;
}

export const defenderPollerStateQuery = defineQuery<DefenderPollerState>('defenderPollerState');

const MAX_PAGES_PER_POLL = 1_000;
/** Bound on carried keys; beyond it the oldest are dropped (they are older than any overlap anyway). */
const MAX_SEEN = 50_000;

/** ISO timestamps with 1–7 fractional digits, compared in time order. */
function norm(iso: string): string {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,7}))?Z$/.exec(iso);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(7, '0')}Z` : iso;
}
function later(a: string, b: string): boolean {
  return norm(a) > norm(b);
}
function keyTime(key: string): string {
  return key.slice(key.lastIndexOf('|') + 1);
}
function minus(iso: string, ms: number): string {
  // Date works in ms; the sub-ms digits only matter when nothing is subtracted.
  return ms <= 0 ? iso : new Date(Date.parse(iso) - ms).toISOString();
}

export async function defenderAlertPoller(input: DefenderPollerInput): Promise<void> {
  const info = workflowInfo();
  const pageSize = Math.min(Math.max(1, Math.floor(input.pageSize ?? 200)), 1_000);
  const overlapMs = Math.max(0, input.overlapMs ?? 300_000);
  const intervalMs = Math.max(10, input.intervalMs);
  const pollsPerRun = Math.max(1, input.pollsPerRun ?? 200);

  const { defenderFetchAlerts } = proxyActivities<DefenderAlertActivities>(
    alertFetchOptions(input.defenderTaskQueue ?? defenderTaskQueue(info.taskQueue)),
  );
  const { intakeDetections } = proxyActivities<IntakeActivities>(
    intakeOptions(input.intakeTaskQueue ?? info.taskQueue),
  );

  let cursor = input.cursor ?? new Date(Date.now() - (input.lookbackMs ?? 3_600_000)).toISOString();
  const seen = new Set<string>(input.seen ?? []);
  const state: DefenderPollerState = { cursor, seen: seen.size, polls: 0, accepted: 0 };
  setHandler(defenderPollerStateQuery, () => ({ ...state, cursor, seen: seen.size }));

  for (;;) {
    const since = minus(cursor, overlapMs);
    let newest = cursor;
    let complete = false;
    try {
      // The filter has only a lower bound and lastUpdateTime only grows, so the result set only grows
      // while we page: $skip may show an alert twice (deduped by key) but cannot skip one.
      for (let page = 0; page < MAX_PAGES_PER_POLL; page++) {
        const res = await defenderFetchAlerts({
          since,
          skip: page * pageSize,
          top: pageSize,
          rule: input.rule,
        });
        const fresh = new Map<string, Detection>();
        for (const c of res.confirmed) if (!seen.has(c.key)) fresh.set(c.key, c.detection);
        if (fresh.size > 0) {
          const keys = [...fresh.keys()];
          const { accepted } = await intakeDetections([...fresh.values()], { source: 'defender', keys });
          state.accepted += accepted;
        }
        // Only after intake succeeded are these alert versions marked handled.
        for (const e of res.entries) {
          seen.add(e.key);
          if (later(e.lastUpdateTime, newest)) newest = e.lastUpdateTime;
        }
        if (res.count < pageSize) {
          complete = true;
          break;
        }
      }
      state.lastError = undefined;
    } catch (err) {
      // A non-retryable fetch failure (bad rule, missing permission): keep the cursor, report, try again later.
      if (!(err instanceof ActivityFailure)) throw err;
      state.lastError = err.cause?.message ?? err.message;
      log.error('Defender alert poll failed; cursor kept', { error: state.lastError });
    }
    if (complete) {
      cursor = newest;
      // Keys older than the re-read window can never be read again: drop them.
      const floor = norm(minus(cursor, overlapMs + 1));
      for (const k of seen) if (norm(keyTime(k)) < floor) seen.delete(k);
      if (seen.size > MAX_SEEN) for (const k of [...seen].slice(0, seen.size - MAX_SEEN)) seen.delete(k);
    }
    state.polls += 1;
    state.cursor = cursor;
    state.seen = seen.size;
    if (state.polls >= pollsPerRun || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof defenderAlertPoller>({ ...input, cursor, seen: [...seen] });
    }
    await sleep(intervalMs);
  }
}
