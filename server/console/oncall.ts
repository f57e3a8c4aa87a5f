// Who is on call now for each rotation and until when; each calendar open or closed now and its next
// change. The rotation and calendar rules are the interpreter's own (compiler/time).
import { DateTime } from 'luxon';
import type { OrgIR, RotationIR } from '../../core/ir';
import { calendarState } from '../../engine/time/calendar';
import { onCallAt } from '../../engine/time/rotation';
import { localToInstant } from '../../engine/time/zone';
import type { OnCallView } from '../../console/model';

/**
 * When the person on call for `rot` next changes, and to whom: the earliest handoff or override edge
 * after `at` at which someone else is on call. Null when nobody else ever is (one member, no override).
 */
export function nextHandoff(rot: RotationIR, at: Date): { at: Date; person: string } | null {
  const t = at.getTime();
  const now = onCallAt(rot, at);
  const edges: number[] = [];
  for (const o of rot.overrides)
    for (const local of [o.from, o.to]) {
      const ms = localToInstant(local, rot.timezone).toMillis();
      if (ms > t) edges.push(ms);
    }
  const handoff = localToInstant(rot.handoff, rot.timezone);
  const step = (k: number) =>
    handoff.plus(rot.every.unit === 'w' ? { weeks: k * rot.every.n } : { days: k * rot.every.n }).toMillis();
  const approx = (rot.every.unit === 'w' ? 7 : 1) * rot.every.n * 86_400_000;
  let k = Math.max(0, Math.floor((t - handoff.toMillis()) / approx) - 1);
  while (step(k) <= t) k++;
  // Enough period edges to pass every member once (a member may follow themselves in a list).
  for (let i = 0; i <= rot.members.length; i++) edges.push(step(k + i));
  for (const ms of [...new Set(edges)].sort((a, b) => a - b)) {
    const who = onCallAt(rot, new Date(ms));
    if (who !== now) return { at: new Date(ms), person: who };
  }
  return null;
}

export function onCallView(org: OrgIR, at: Date): OnCallView {
  const name = (id: string) => org.people[id]?.name ?? id;
  return {
    now: at.toISOString(),
    rotations: Object.entries(org.rotations).map(([rotName, rot]) => {
      const personId = onCallAt(rot, at);
      const next = nextHandoff(rot, at);
      return {
        name: rotName,
        personId,
        person: name(personId),
        until: next ? next.at.toISOString() : null,
        next: next ? name(next.person) : undefined,
      };
    }),
    calendars: Object.entries(org.calendars).map(([calName, cal]) => {
      const s = calendarState(cal, at);
      const change = s.open ? s.nextClose : s.nextOpen;
      return {
        name: calName,
        timezone: cal.timezone,
        open: s.open,
        nextChange: change ? DateTime.fromJSDate(change).toUTC().toISO() : null,
      };
    }),
  };
}
