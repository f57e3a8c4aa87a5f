import { calendarState, isCalendarOpen } from '../../../engine/time/calendar';
import { parseDuration } from '../../../core/duration';
import { onCallAt } from '../../../engine/time/rotation';
import type { CalendarIR, RotationIR } from '../../../core/ir';

const d = (s: string): Date => new Date(s);
const iso = (x: Date | null): string | null => (x ? x.toISOString() : null);

describe('parseDuration', () => {
  test.each([
    ['30s', 30_000],
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
  ])('%s', (s, ms) => expect(parseDuration(s)).toBe(ms));
  test.each(['', '15', 'm', '1m1h', '1.5h', '15 m', '-1m', '1h1h'])('rejects %p', (s) =>
    expect(parseDuration(s)).toBeNull(),
  );
});

describe('calendarState', () => {
  const soc: CalendarIR = {
    timezone: 'America/Chicago',
    weekly: {
      mon: [{ from: 480, to: 1080 }],
      tue: [{ from: 480, to: 1080 }],
      fri: [{ from: 480, to: 1020 }],
    },
    holidays: ['2026-11-24'],
  };

  test('windows are half-open in local time', () => {
    // Monday 2026-11-23, CST = UTC-6.
    expect(calendarState(soc, d('2026-11-23T13:59:59Z')).open).toBe(false);
    expect(calendarState(soc, d('2026-11-23T14:00:00Z')).open).toBe(true);
    expect(calendarState(soc, d('2026-11-23T23:59:59.999Z')).open).toBe(true);
    expect(calendarState(soc, d('2026-11-24T00:00:00Z')).open).toBe(false);
  });

  test('a holiday closes the whole local day and next_open skips it', () => {
    const st = calendarState(soc, d('2026-11-24T16:00:00Z')); // Tuesday, a holiday
    expect(st.open).toBe(false);
    expect(iso(st.nextOpen)).toBe('2026-11-27T14:00:00.000Z'); // Friday 08:00 CST
    expect(iso(st.nextClose)).toBe('2026-11-27T23:00:00.000Z'); // Friday 17:00 CST
  });

  test('when open: next_close ends this period, next_open starts the following one', () => {
    const st = calendarState(soc, d('2026-11-23T15:00:00Z'));
    expect(st).toEqual({
      open: true,
      nextClose: d('2026-11-24T00:00:00Z'),
      nextOpen: d('2026-11-27T14:00:00Z'),
    });
  });

  test('a window spanning midnight belongs to the day it starts on', () => {
    const night: CalendarIR = {
      timezone: 'Europe/Berlin',
      weekly: { fri: [{ from: 1320, to: 360 }] },
      holidays: [],
    };
    // Saturday 2026-01-10 03:00 Berlin (CET, UTC+1) is inside Friday's 22:00-06:00 window.
    expect(calendarState(night, d('2026-01-10T02:00:00Z')).open).toBe(true);
    expect(iso(calendarState(night, d('2026-01-10T02:00:00Z')).nextClose)).toBe('2026-01-10T05:00:00.000Z');
    // Saturday 22:30 is not: Saturday has no window of its own.
    expect(calendarState(night, d('2026-01-10T21:30:00Z')).open).toBe(false);
    // Thursday 03:00 is not either: Wednesday has no window.
    expect(calendarState(night, d('2026-01-08T02:00:00Z')).open).toBe(false);
    // A holiday on the Friday closes the whole window, including its Saturday morning part.
    const hol = { ...night, holidays: ['2026-01-09'] };
    expect(calendarState(hol, d('2026-01-10T02:00:00Z')).open).toBe(false);
  });

  test('adjacent windows merge into one open period', () => {
    const cal: CalendarIR = {
      timezone: 'UTC',
      weekly: { mon: [{ from: 1080, to: 1440 }], tue: [{ from: 0, to: 480 }] },
      holidays: [],
    };
    const st = calendarState(cal, d('2026-11-23T20:00:00Z'));
    expect(st.open).toBe(true);
    expect(iso(st.nextClose)).toBe('2026-11-24T08:00:00.000Z');
    expect(iso(st.nextOpen)).toBe('2026-11-30T18:00:00.000Z');
  });

  test('a calendar with no windows never opens: edges are null', () => {
    expect(calendarState({ timezone: 'UTC', weekly: {}, holidays: [] }, d('2026-01-01T00:00:00Z'))).toEqual({
      open: false,
      nextOpen: null,
      nextClose: null,
    });
  });

  test('a calendar open around the clock has no next_close within the search bound', () => {
    const all = { from: 0, to: 1440 };
    const cal: CalendarIR = {
      timezone: 'UTC',
      weekly: { mon: [all], tue: [all], wed: [all], thu: [all], fri: [all], sat: [all], sun: [all] },
      holidays: [],
    };
    expect(calendarState(cal, d('2026-05-05T10:00:00Z'))).toEqual({
      open: true,
      nextOpen: null,
      nextClose: null,
    });
  });

  test('America/New_York spring-forward: 02:00-03:00 does not exist', () => {
    // 2026-03-08 is a Sunday; clocks go 01:59:59 EST → 03:00 EDT.
    const cal: CalendarIR = {
      timezone: 'America/New_York',
      weekly: { sun: [{ from: 60, to: 240 }] },
      holidays: [],
    };
    const st = calendarState(cal, d('2026-03-08T05:30:00Z')); // 00:30 EST
    expect(st.open).toBe(false);
    expect(iso(st.nextOpen)).toBe('2026-03-08T06:00:00.000Z'); // 01:00 EST
    expect(iso(st.nextClose)).toBe('2026-03-08T08:00:00.000Z'); // 04:00 EDT: 2 real hours, not 3
    expect(calendarState(cal, d('2026-03-08T07:30:00Z')).open).toBe(true); // 03:30 EDT
  });

  test('America/New_York fall-back: 01:00-02:00 happens twice and is open both times', () => {
    // 2026-11-01: 01:59:59 EDT → 01:00 EST.
    const cal: CalendarIR = {
      timezone: 'America/New_York',
      weekly: { sun: [{ from: 60, to: 120 }] },
      holidays: [],
    };
    expect(calendarState(cal, d('2026-11-01T05:30:00Z')).open).toBe(true); // 01:30 EDT
    expect(calendarState(cal, d('2026-11-01T06:30:00Z')).open).toBe(true); // 01:30 EST
    expect(calendarState(cal, d('2026-11-01T07:30:00Z')).open).toBe(false); // 02:30 EST
  });

  test('Europe/Berlin: a 08:00 window opens at 07:00Z in winter and 06:00Z in summer', () => {
    const cal: CalendarIR = {
      timezone: 'Europe/Berlin',
      weekly: { mon: [{ from: 480, to: 1020 }] },
      holidays: [],
    };
    // Sunday 2026-03-29 is the switch; the Monday after is in CEST.
    expect(iso(calendarState(cal, d('2026-03-28T12:00:00Z')).nextOpen)).toBe('2026-03-30T06:00:00.000Z');
    expect(iso(calendarState(cal, d('2026-03-21T12:00:00Z')).nextOpen)).toBe('2026-03-23T07:00:00.000Z');
  });

  test('Australia/Lord_Howe: a 30-minute DST shift', () => {
    // DST ends Sunday 2026-04-05 02:00 (+11 → +10:30). A Monday 09:00 window before and after.
    const cal: CalendarIR = {
      timezone: 'Australia/Lord_Howe',
      weekly: { mon: [{ from: 540, to: 600 }] },
      holidays: [],
    };
    expect(iso(calendarState(cal, d('2026-03-28T00:00:00Z')).nextOpen)).toBe('2026-03-29T22:00:00.000Z'); // +11
    expect(iso(calendarState(cal, d('2026-04-04T00:00:00Z')).nextOpen)).toBe('2026-04-05T22:30:00.000Z'); // +10:30
  });

  test('Asia/Kolkata: +05:30, no DST', () => {
    const cal: CalendarIR = {
      timezone: 'Asia/Kolkata',
      weekly: { wed: [{ from: 570, to: 1110 }] },
      holidays: [],
    };
    expect(calendarState(cal, d('2026-07-01T04:00:00Z')).open).toBe(true); // 09:30 IST
    expect(calendarState(cal, d('2026-07-01T03:59:59Z')).open).toBe(false);
    expect(iso(calendarState(cal, d('2026-07-01T04:00:00Z')).nextClose)).toBe('2026-07-01T13:00:00.000Z');
  });
});

describe('isCalendarOpen', () => {
  // The cheap answer every `calendar('x').open` uses must equal the full search's, at every instant:
  // windows across midnight, adjacent windows, holidays, DST gaps and repeats, half-hour zones.
  const cals: Record<string, CalendarIR> = {
    'overnight Berlin, holiday': {
      timezone: 'Europe/Berlin',
      weekly: {
        fri: [{ from: 1080, to: 480 }],
        sat: [{ from: 0, to: 1440 }],
        mon: [{ from: 480, to: 1020 }],
      },
      holidays: ['2026-03-30'],
    },
    'New York around both switches': {
      timezone: 'America/New_York',
      weekly: {
        sun: [
          { from: 60, to: 180 },
          { from: 1320, to: 120 },
        ],
        sat: [{ from: 1380, to: 1440 }],
      },
      holidays: [],
    },
    'Lord Howe': { timezone: 'Australia/Lord_Howe', weekly: { sun: [{ from: 90, to: 150 }] }, holidays: [] },
  };
  test.each(Object.keys(cals))(
    '%s: same as calendarState(...).open every 25 minutes around DST switches',
    (name) => {
      const cal = cals[name];
      const differ: string[] = [];
      for (const from of [
        '2026-03-06T00:00:00Z',
        '2026-03-27T00:00:00Z',
        '2026-04-03T00:00:00Z',
        '2026-10-30T00:00:00Z',
      ]) {
        for (let t = Date.parse(from); t < Date.parse(from) + 4 * 86_400_000; t += 1_500_000) {
          if (isCalendarOpen(cal, new Date(t)) !== calendarState(cal, new Date(t)).open)
            differ.push(new Date(t).toISOString());
        }
      }
      expect(differ).toEqual([]);
    },
  );
});

describe('onCallAt', () => {
  const rot: RotationIR = {
    timezone: 'America/New_York',
    every: { unit: 'w', n: 1 },
    handoff: '2026-01-05T09:00',
    members: ['ana', 'ben', 'cho'],
    overrides: [{ person: 'ben', from: '2026-12-24T00:00', to: '2026-12-27T00:00' }],
  };

  test('before the first handoff: the first member', () => {
    expect(onCallAt(rot, d('2025-12-01T00:00:00Z'))).toBe('ana');
  });

  test('whole weeks from the handoff', () => {
    expect(onCallAt(rot, d('2026-01-05T14:00:00Z'))).toBe('ana'); // 09:00 EST, handoff instant
    expect(onCallAt(rot, d('2026-01-12T13:59:59Z'))).toBe('ana');
    expect(onCallAt(rot, d('2026-01-12T14:00:00Z'))).toBe('ben');
    expect(onCallAt(rot, d('2026-01-19T14:00:00Z'))).toBe('cho');
    expect(onCallAt(rot, d('2026-01-26T14:00:00Z'))).toBe('ana');
  });

  test('a weekly 09:00 handoff stays 09:00 local across DST (America/New_York)', () => {
    // Week 9 starts Monday 2026-03-09 09:00 EDT = 13:00Z (DST began 2026-03-08). 9 % 3 = 0 → ana.
    expect(onCallAt(rot, d('2026-03-09T12:59:59Z'))).toBe('cho');
    expect(onCallAt(rot, d('2026-03-09T13:00:00Z'))).toBe('ana');
  });

  test('a daily handoff across Europe/Berlin DST', () => {
    const daily: RotationIR = {
      ...rot,
      timezone: 'Europe/Berlin',
      every: { unit: 'd', n: 1 },
      handoff: '2026-03-28T09:00',
      overrides: [],
    };
    expect(onCallAt(daily, d('2026-03-29T07:00:00Z'))).toBe('ben'); // 09:00 CEST, day 1
    expect(onCallAt(daily, d('2026-03-29T06:59:59Z'))).toBe('ana');
  });

  test('overrides first, half-open', () => {
    // Week 50 (from 2026-12-21 09:00) is cho's; the override gives 24–27 December to ben.
    expect(onCallAt(rot, d('2026-12-24T04:59:59Z'))).toBe('cho'); // 23:59:59 EST on the 23rd
    expect(onCallAt(rot, d('2026-12-24T05:00:00Z'))).toBe('ben');
    expect(onCallAt(rot, d('2026-12-27T04:59:59Z'))).toBe('ben');
    expect(onCallAt(rot, d('2026-12-27T05:00:00Z'))).toBe('cho');
  });
});
