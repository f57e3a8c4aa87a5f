// Public holidays of a country/region, expanded at compile time into CalendarIR.holidays for a fixed span
// of years: the workflow stays deterministic and independent of the holiday library's version and of
// today's date.
import Holidays from 'date-holidays';

export const HOLIDAY_YEARS = { from: 2020, to: 2045 } as const;

/** "US", "DE-BY", "US-LA-NO" → parts, or an error message. */
export function parseHolidayCalendar(
  code: string,
): { country: string; state?: string; region?: string } | string {
  const [country, state, region] = code.split('-');
  const hd = new Holidays();
  const countries = hd.getCountries() as Record<string, string> | undefined;
  if (!country || !countries || !(country.toUpperCase() in countries))
    return `unknown holiday_calendar country '${country}'`;
  if (state) {
    const states = (hd.getStates(country.toUpperCase()) ?? {}) as Record<string, string>;
    if (!Object.keys(states).some((s) => s.toLowerCase() === state.toLowerCase())) {
      return `unknown holiday_calendar region '${code}'`;
    }
  }
  return { country: country.toUpperCase(), state, region };
}

/** Sorted local dates (YYYY-MM-DD) of the public holidays of `code` over HOLIDAY_YEARS. */
export function expandPublicHolidays(code: string): string[] {
  const parsed = parseHolidayCalendar(code);
  if (typeof parsed === 'string') throw new Error(parsed);
  const hd = new Holidays(parsed.country, parsed.state ?? '', parsed.region ?? '', { types: ['public'] });
  const out = new Set<string>();
  for (let y = HOLIDAY_YEARS.from; y <= HOLIDAY_YEARS.to; y++) {
    for (const h of hd.getHolidays(y) ?? []) if (h.type === 'public') out.add(h.date.slice(0, 10));
  }
  return [...out].sort();
}
