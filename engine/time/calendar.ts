// Is a calendar open at an instant, and when does it next open/close? Pure: the same IR and instant
// always give the same answer, so the workflow can call it and replay it.
import { DateTime } from 'luxon';
import type { CalendarIR, Weekday } from '../../core/ir';
import { localMinutesToInstant } from './zone';

/** How far ahead next_open/next_close are searched before giving up (null). */
export const CALENDAR_SEARCH_DAYS = 400;

const WEEKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export interface CalendarState {
  open: boolean;
  nextOpen: Date | null;
  nextClose: Date | null;
}

const holidaySets = new WeakMap<CalendarIR, Set<string>>();
function holidaySet(cal: CalendarIR): Set<string> {
  let s = holidaySets.get(cal);
  if (!s) {
    s = new Set(cal.holidays);
    holidaySets.set(cal, s);
  }
  return s;
}

/** Open intervals [start, end) in epoch ms of the windows that START on local date `day`. */
function dayIntervals(cal: CalendarIR, day: DateTime): Array<[number, number]> {
  if (holidaySet(cal).has(day.toISODate() ?? '')) return [];
  const windows = cal.weekly[WEEKDAYS[day.weekday - 1]] ?? [];
  const out: Array<[number, number]> = [];
  for (const w of windows) {
    // A window that spans midnight (to <= from) belongs to the day it starts on and ends the next day.
    const start = localMinutesToInstant(day, w.from, cal.timezone);
    const end = localMinutesToInstant(day, w.to <= w.from ? w.to + 1440 : w.to, cal.timezone, 'latest');
    if (end > start) out.push([start, end]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/**
 * Whether the calendar is open at `at`. Cheap (two local days), unlike the edges of calendarState, which
 * may search CALENDAR_SEARCH_DAYS ahead (an always-open calendar never closes): playbooks mostly ask
 * `calendar('x').open`, on every workflow activation and replay. Same answer as calendarState(...).open,
 * since a window belongs to the day it starts on and ends within the next (merging adjacent windows
 * changes no instant's membership).
 */
export function isCalendarOpen(cal: CalendarIR, at: Date): boolean {
  const t = at.getTime();
  const day = DateTime.fromMillis(t, { zone: cal.timezone }).startOf('day');
  for (const d of [day.minus({ days: 1 }), day]) {
    for (const [s, e] of dayIntervals(cal, d)) if (s <= t && t < e) return true;
  }
  return false;
}

/**
 * The calendar at `at`: open or not, and the edges around it. When open, nextClose ends the current
 * open period and nextOpen starts the one after it; when closed, nextOpen starts the next open period
 * and nextClose ends that one. Adjacent windows (mon 18:00-24:00, tue 00:00-08:00) merge into one
 * period. Edges further than CALENDAR_SEARCH_DAYS away are null.
 */
export function calendarState(cal: CalendarIR, at: Date): CalendarState {
  const t = at.getTime();
  const startDay = DateTime.fromMillis(t, { zone: cal.timezone }).startOf('day').minus({ days: 1 });
  const limit = startDay.plus({ days: CALENDAR_SEARCH_DAYS + 1 }).toMillis();
  const blocks: Array<[number, number]> = [];
  const firstRelevant = (): number => blocks.findIndex((b) => b[1] > t);
  for (let d = 0; d <= CALENDAR_SEARCH_DAYS + 1; d++) {
    for (const [s, e] of dayIntervals(cal, startDay.plus({ days: d }))) {
      const last = blocks[blocks.length - 1];
      if (last && s <= last[1]) last[1] = Math.max(last[1], e);
      else blocks.push([s, e]);
    }
    // Stop once the blocks we answer from are complete (a later block has started after them).
    const i = firstRelevant();
    if (i >= 0) {
      const open = blocks[i][0] <= t;
      if (blocks.length > (open ? i + 2 : i + 1)) break;
    }
  }
  const i = firstRelevant();
  const edge = (ms: number | undefined): Date | null =>
    ms === undefined || ms >= limit ? null : new Date(ms);
  if (i < 0) return { open: false, nextOpen: null, nextClose: null };
  const cur = blocks[i];
  if (cur[0] <= t) {
    const next = blocks[i + 1];
    return { open: true, nextClose: edge(cur[1]), nextOpen: next ? edge(next[0]) : null };
  }
  return { open: false, nextOpen: edge(cur[0]), nextClose: edge(cur[1]) };
}
