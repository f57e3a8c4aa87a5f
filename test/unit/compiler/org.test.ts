import { loadOrg } from '../../../compiler';
import { calendarState } from '../../../engine/time/calendar';
import { exampleOrg, exampleText, posOf } from './helpers';

describe('nightshift.yaml', () => {
  test('the shipped example loads; secrets stay references', () => {
    const org = exampleOrg();
    expect(org.channels['soc-teams']).toEqual({ kind: 'teams', webhook: { env: 'TEAMS_SOC_WEBHOOK' } });
    expect(JSON.stringify(org)).not.toMatch(/https?:\/\//);
    expect(org.groups['soc-leads']).toEqual(['ana', 'ben']);
    expect(org.policy.maxAutoIsolations).toEqual({ count: 10, perMs: 3_600_000 });
    expect(org.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('holiday_calendar expands public holidays at compile time, independent of today', () => {
    const cal = exampleOrg().calendars['soc-hours'];
    expect(cal.holidays).toContain('2020-11-26'); // Thanksgiving 2020
    expect(cal.holidays).toContain('2045-12-25');
    expect(cal.holidays).toContain('2026-11-27'); // explicit
    expect(cal.holidays).not.toContain('2026-02-14'); // Valentine's Day is an observance, not public
    // Thanksgiving 2026 (Thursday) is closed all day; Wednesday before is open at 10:00 CST.
    expect(calendarState(cal, new Date('2026-11-26T16:00:00Z')).open).toBe(false);
    expect(calendarState(cal, new Date('2026-11-25T16:00:00Z')).open).toBe(true);
    // On Wednesday evening, the next opening skips Thu (public holiday), Fri (explicit), the weekend.
    expect(calendarState(cal, new Date('2026-11-26T01:00:00Z')).nextOpen?.toISOString()).toBe(
      '2026-11-30T14:00:00.000Z',
    );
  });

  test('a region code works: DE-BY has Epiphany, DE does not', () => {
    const mk = (hc: string): string =>
      `calendars:\n  c:\n    timezone: Europe/Berlin\n    weekly: { mon: '08:00-17:00' }\n    holiday_calendar: ${hc}\n`;
    expect(loadOrg('o.yaml', mk('DE-BY')).org?.calendars.c.holidays).toContain('2026-01-06');
    expect(loadOrg('o.yaml', mk('DE')).org?.calendars.c.holidays).not.toContain('2026-01-06');
  });

  test('unquoted ${env:NAME}, as written in the spec, is accepted', () => {
    const r = loadOrg('o.yaml', 'channels:\n  t: { teams: { webhook: ${env:HOOK} } }\n');
    expect(r.diagnostics).toEqual([]);
    expect(r.org?.channels.t).toEqual({ kind: 'teams', webhook: { env: 'HOOK' } });
  });

  test('a Teams webhook may also be written { env: NAME } (the form docs/channels.md shows)', () => {
    const r = loadOrg('o.yaml', 'channels:\n  t: { teams: { webhook: { env: TEAMS_HOOK } } }\n');
    expect(r.diagnostics).toEqual([]);
    expect(r.org?.channels.t).toEqual({ kind: 'teams', webhook: { env: 'TEAMS_HOOK' } });
  });

  test.each([
    [
      'a webhook { env } with another key',
      'channels:\n  t: { teams: { webhook: { env: A, url: x } } }\n',
      'url',
      /unknown key 'url' in channel 't': teams webhook/,
    ],
    [
      'a webhook { env } that is no variable name',
      "channels:\n  t: { teams: { webhook: { env: 'my hook' } } }\n",
      "'my hook'",
      /'my hook' is not an environment variable name/,
    ],
    [
      'a webhook ${env:…} that is no variable name',
      "channels:\n  t: { teams: { webhook: '${env:my-hook}' } }\n",
      "'${env",
      /'my-hook' is not an environment variable name/,
    ],
    [
      'a literal webhook is refused',
      "channels:\n  t: { teams: { webhook: 'https://x.webhook.office.com/abc' } }\n",
      "'https",
      /secret/,
    ],
    [
      'unknown zone',
      "calendars:\n  c: { timezone: America/Chicgo, weekly: { mon: '08:00-17:00' } }\n",
      'America/Chicgo',
      /unknown time zone/,
    ],
    ['bad window', "calendars:\n  c: { timezone: UTC, weekly: { mon: '8-17' } }\n", "'8-17'", /not a window/],
    [
      'an empty window says why and what to write instead',
      "calendars:\n  c: { timezone: UTC, weekly: { mon: '00:00-00:00' } }\n",
      "'00:00-00:00'",
      /'00:00-00:00' starts and ends at the same time, so it is open for no time at all; write '00:00-24:00' for a day open all day, or leave mon out to keep it closed \(weekly: \{\} is a calendar that is always closed\)/,
    ],
    [
      'an empty window inside a list',
      "calendars:\n  c: { timezone: UTC, weekly: { tue: ['08:00-12:00', '13:00-13:00'] } }\n",
      "'13:00-13:00'",
      /'13:00-13:00' starts and ends at the same time/,
    ],
    [
      'unknown weekday',
      "calendars:\n  c: { timezone: UTC, weekly: { mnd: '08:00-17:00' } }\n",
      'mnd',
      /unknown key 'mnd'.*did you mean 'mon'/,
    ],
    [
      'bad holiday',
      'calendars:\n  c: { timezone: UTC, weekly: {}, holidays: [2026-02-30] }\n',
      '2026-02-30',
      /not a date/,
    ],
    [
      'unknown holiday country',
      'calendars:\n  c: { timezone: UTC, weekly: {}, holiday_calendar: XX }\n',
      'XX',
      /unknown holiday_calendar country/,
    ],
    [
      'unknown group member',
      'people:\n  ana: { name: Ana }\ngroups:\n  g: [ana, bob]\n',
      'bob',
      /unknown person 'bob'/,
    ],
    [
      'rotation every',
      "people:\n  ana: { name: Ana }\nrotations:\n  r: { timezone: UTC, every: 3h, handoff: '2026-01-05T09:00', members: [ana] }\n",
      '3h',
      /days or weeks/,
    ],
    [
      'rotation handoff',
      "people:\n  ana: { name: Ana }\nrotations:\n  r: { timezone: UTC, every: 1w, handoff: 'monday', members: [ana] }\n",
      "'monday'",
      /local date-time/,
    ],
    [
      'name clash',
      'people:\n  ops: { name: Ops }\ngroups:\n  ops: [ops]\n',
      'ops: [ops]',
      /both a person and a group/,
    ],
    ['policy type', 'policy:\n  protected_devices: "device.name"\n', 'device.name', /must be a bool/],
    [
      'policy scope',
      'policy:\n  protected_devices: "detection.severity == \'high\'"\n',
      'detection',
      /unknown variable 'detection'/,
    ],
    ['bad phone', "people:\n  ana: { name: Ana, phone: '555-0101' }\n", "'555-0101'", /E\.164/],
  ])('%s', (_name, text, needle, msg) => {
    const r = loadOrg('o.yaml', text);
    expect(r.org).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0].message).toMatch(msg);
    expect(r.diagnostics[0]).toMatchObject(posOf(text, needle));
  });

  test('always open is 00:00-24:00 every day; always closed is weekly: {}', () => {
    const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => `${d}: '00:00-24:00'`);
    const r = loadOrg(
      'o.yaml',
      `calendars:\n  open: { timezone: Europe/Paris, weekly: { ${days.join(', ')} } }\n` +
        '  closed: { timezone: Europe/Paris, weekly: {} }\n',
    );
    expect(r.diagnostics).toEqual([]);
    const { open, closed } = r.org!.calendars;
    // Across a DST change (2026-03-29 in Paris) and at midnight: open, with no edge within 400 days.
    for (const at of ['2026-03-29T01:30:00Z', '2026-03-29T22:00:00Z', '2026-06-01T00:00:00Z']) {
      expect(calendarState(open, new Date(at))).toEqual({ open: true, nextOpen: null, nextClose: null });
      expect(calendarState(closed, new Date(at))).toEqual({ open: false, nextOpen: null, nextClose: null });
    }
  });

  test('the example file text is what is shipped', () => {
    expect(exampleText('nightshift.yaml')).toMatch(/\$\{env:TEAMS_SOC_WEBHOOK\}/);
  });
});
