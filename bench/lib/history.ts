// Where a run's time goes, from its Temporal history: each event's time relative to when the detection
// was posted. Averaged over a sample of runs, this splits a latency into intake, workflow tasks,
// activity queueing and activity execution, which is what says which part to optimise.
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const TYPES = temporal.api.enums.v1.EventType;

export interface TimelineEvent {
  t: number;
  event: string;
  detail?: string;
}

function ms(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!ts) return NaN;
  return Number(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

/** The run's events up to (and including) the completion of `untilActivity`, relative to `t0`. */
export async function timeline(
  client: Client,
  workflowId: string,
  t0: number,
  untilActivity: string,
): Promise<TimelineEvent[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Map<string, string>();
  const out: TimelineEvent[] = [];
  for (const e of history.events ?? []) {
    const name = (TYPES[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
    let detail: string | undefined;
    const sched = e.activityTaskScheduledEventAttributes;
    if (sched) {
      detail = sched.activityType?.name ?? undefined;
      scheduled.set(String(e.eventId), detail ?? '');
    }
    const ref =
      e.activityTaskStartedEventAttributes?.scheduledEventId ??
      e.activityTaskCompletedEventAttributes?.scheduledEventId ??
      e.activityTaskFailedEventAttributes?.scheduledEventId;
    if (ref !== undefined && ref !== null) detail = scheduled.get(String(ref));
    out.push({ t: ms(e.eventTime as never) - t0, event: name, detail });
    if (name === 'ACTIVITY_TASK_COMPLETED' && detail === untilActivity) break;
  }
  return out;
}

/** Mean time of each (event, activity, occurrence) across timelines: a representative breakdown. */
export function meanTimeline(lines: TimelineEvent[][]): TimelineEvent[] {
  const acc = new Map<string, { sum: number; n: number; order: number; event: string; detail?: string }>();
  for (const line of lines) {
    const seen = new Map<string, number>();
    line.forEach((e, i) => {
      const base = `${e.event}|${e.detail ?? ''}`;
      const k = `${base}#${(seen.get(base) ?? 0) + 1}`;
      seen.set(base, (seen.get(base) ?? 0) + 1);
      const a = acc.get(k) ?? { sum: 0, n: 0, order: 0, event: e.event, detail: e.detail };
      a.sum += e.t;
      a.n += 1;
      a.order += i;
      acc.set(k, a);
    });
  }
  return [...acc.values()]
    .filter((a) => a.n === lines.length)
    .sort((x, y) => x.sum / x.n - y.sum / y.n || x.order - y.order)
    .map((a) => ({ t: Math.round((a.sum / a.n) * 10) / 10, event: a.event, detail: a.detail }));
}
