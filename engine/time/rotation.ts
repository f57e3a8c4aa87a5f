// Who is on call at an instant. Pure and deterministic, like calendar.ts.
import type { DurationLikeObject } from 'luxon';
import type { RotationIR } from '../../core/ir';
import { localToInstant } from './zone';

/** The person id on call at `at`: overrides first ([from, to) local), then whole local periods from handoff. */
export function onCallAt(rot: RotationIR, at: Date): string {
  const t = at.getTime();
  for (const o of rot.overrides) {
    const from = localToInstant(o.from, rot.timezone).toMillis();
    const to = localToInstant(o.to, rot.timezone).toMillis();
    if (from <= t && t < to) return o.person;
  }
  const handoff = localToInstant(rot.handoff, rot.timezone);
  if (t < handoff.toMillis()) return rot.members[0];
  // Periods are counted in local calendar days so a 09:00 handoff stays 09:00 across DST.
  const step = (k: number): DurationLikeObject =>
    rot.every.unit === 'w' ? { weeks: k * rot.every.n } : { days: k * rot.every.n };
  const approxMs = (rot.every.unit === 'w' ? 7 : 1) * rot.every.n * 86_400_000;
  let k = Math.floor((t - handoff.toMillis()) / approxMs);
  while (k > 0 && handoff.plus(step(k)).toMillis() > t) k--;
  while (handoff.plus(step(k + 1)).toMillis() <= t) k++;
  return rot.members[k % rot.members.length];
}
