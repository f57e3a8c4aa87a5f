// Durations as written in playbooks: "30s", "15m", "1h30m", "2d", "1w". Units appear at most once, largest
// first, so every duration has exactly one spelling a reviewer can read at a glance.

const UNIT_MS: Record<string, number> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };
const DURATION = /^(?:(\d{1,6})w)?(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,6})s)?$/;

/** Milliseconds, or null when `s` is not a duration. */
export function parseDuration(s: string): number | null {
  if (typeof s !== 'string' || s.length === 0) return null;
  const m = DURATION.exec(s);
  if (!m) return null;
  const units = ['w', 'd', 'h', 'm', 's'];
  let ms = 0;
  let any = false;
  for (let i = 0; i < units.length; i++) {
    const part = m[i + 1];
    if (part === undefined) continue;
    any = true;
    ms += Number(part) * UNIT_MS[units[i]];
  }
  return any ? ms : null;
}

/** The one spelling of a duration in milliseconds ("1h30m", "0s"); below a second rounds down. */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.floor(ms / 1000)) * 1000;
  let out = '';
  for (const u of ['w', 'd', 'h', 'm', 's']) {
    const n = Math.floor(rest / UNIT_MS[u]);
    if (n > 0) out += `${n}${u}`;
    rest -= n * UNIT_MS[u];
  }
  return out || '0s';
}
