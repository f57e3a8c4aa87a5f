// Local wall-clock arithmetic with real zone rules (luxon over Intl): no fixed offsets anywhere.
import { DateTime, IANAZone } from 'luxon';

export function isValidZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/** The instant of a local date-time "YYYY-MM-DDTHH:mm" in `zone`; a time in a DST gap moves forward. */
export function localToInstant(local: string, zone: string): DateTime {
  return DateTime.fromISO(local, { zone });
}

/**
 * Local date + minutes after midnight → instant (minutes may be 1440 = next midnight). A time in the
 * fall-back overlap happens twice: `pick` chooses which (window starts take the earliest, ends the
 * latest, so a wall-clock window is open for the whole time the clock shows a time inside it).
 */
export function localMinutesToInstant(
  date: DateTime,
  minutes: number,
  zone: string,
  pick: 'earliest' | 'latest' = 'earliest',
): number {
  const base = DateTime.fromObject({ year: date.year, month: date.month, day: date.day }, { zone });
  const day = minutes >= 1440 ? base.plus({ days: 1 }) : base;
  const m = minutes % 1440;
  const dt = DateTime.fromObject(
    { year: day.year, month: day.month, day: day.day, hour: Math.floor(m / 60), minute: m % 60 },
    { zone },
  );
  const candidates = dt.getPossibleOffsets().map((x) => x.toMillis());
  if (candidates.length === 0) return dt.toMillis(); // in a spring-forward gap: luxon moves it forward
  return pick === 'earliest' ? Math.min(...candidates) : Math.max(...candidates);
}
