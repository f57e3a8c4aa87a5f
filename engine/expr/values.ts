// Conversions between plain JS values (what the interpreter holds) and CEL values (BigInt integers,
// Date timestamps, Map-backed messages).
import { CalendarValue, OnCallValue } from './types';

/** JS → CEL: integral numbers become int (BigInt); objects and arrays are copied recursively. */
export function toCel(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (v === undefined) return null;
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Date) return v;
  if (Array.isArray(v)) return v.map(toCel);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = toCel(x);
  return out;
}

/** CEL → plain JS: BigInt → number, timestamps stay Date, maps/messages → objects. */
export function fromCel(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v === null || v === undefined || typeof v !== 'object') return v ?? null;
  if (v instanceof Date) return v;
  if (Array.isArray(v)) return v.map(fromCel);
  if (v instanceof Uint8Array) return Array.from(v);
  if (v instanceof CalendarValue) return { open: v.open, next_open: v.next_open, next_close: v.next_close };
  if (v instanceof OnCallValue) return { id: v.id, name: v.name };
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v) out[String(k)] = fromCel(x);
    return out;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = fromCel(x);
    return out;
  }
  // cel-js values such as uint, duration and type print themselves.
  return String(v);
}

/** How a value is written into a `${{ }}` hole. */
export function toText(v: unknown): string {
  const js = fromCel(v);
  if (js === null) return '';
  if (typeof js === 'string') return js;
  if (js instanceof Date) return js.toISOString();
  if (typeof js === 'object') return JSON.stringify(js);
  return String(js);
}
