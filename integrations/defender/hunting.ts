// Advanced hunting through Microsoft Graph (issue 15 §3; reference §15.7): POST
// {graph}/v1.0/security/runHuntingQuery {Query, Timespan?} → {schema, results}. Microsoft Graph is its own
// resource (token scope https://graph.microsoft.com/.default, application permission
// ThreatHunting.Read.All); the MDE and XDR hunting APIs have been retiring since January 2026.
// Pure: the request body, and the answer read into bounded rows for workflow history.
import type { HuntColumnType } from '../../core/defender-effects';
import type { Budget, DefenderCaller } from './caller';

export const RUN_HUNTING_QUERY_PATH = '/v1.0/security/runHuntingQuery';

/** Rows a hunt step returns by default, and at most (the API's own cap is 100,000, reference §15.7). */
export { HUNT_DEFAULT_LIMIT as DEFAULT_HUNT_LIMIT, HUNT_MAX_LIMIT as MAX_HUNT_LIMIT } from '../../core/ir';
/** Bounds on what enters workflow history: per string value, and for all rows as JSON. */
export const MAX_HUNT_VALUE = 1_000;
export const MAX_HUNT_BYTES = 256 * 1024;
export const MAX_HUNT_COLUMNS = 50;

export interface HuntColumn {
  name: string;
  type: string;
}

export type HuntRow = Record<string, unknown>;

export interface HuntResult {
  columns: HuntColumn[];
  rows: HuntRow[];
  /** Rows returned (≤ the limit). */
  row_count: number;
  /** More rows matched than the limit, or values/rows were cut to the byte bounds. */
  truncated: boolean;
}

export class HuntResultError extends Error {
  override name = 'HuntResultError';
}

/** ISO-8601 durations and intervals the API documents for Timespan (P30D, start/end, start/P30D, …). */
const TIMESPAN =
  /^(P[0-9DTHMSW.]+|\d{4}-\d{2}-\d{2}T[\d:.]+Z)(\/(P[0-9DTHMSW.]+|\d{4}-\d{2}-\d{2}T[\d:.]+Z))?$/;

export function huntBody(query: string, timespan?: string): Record<string, string> {
  const body: Record<string, string> = { Query: query };
  if (timespan) {
    if (!TIMESPAN.test(timespan)) {
      throw new HuntResultError(
        `timespan must be an ISO 8601 duration or interval such as P7D (got "${timespan.slice(0, 60)}")`,
      );
    }
    body.Timespan = timespan;
  }
  return body;
}

function boundValue(v: unknown): { v: unknown; cut: boolean } {
  if (typeof v === 'string' && v.length > MAX_HUNT_VALUE)
    return { v: `${v.slice(0, MAX_HUNT_VALUE)}…`, cut: true };
  if (v && typeof v === 'object') {
    const json = JSON.stringify(v);
    if (json.length > MAX_HUNT_VALUE) return { v: `${json.slice(0, MAX_HUNT_VALUE)}…`, cut: true };
  }
  return { v, cut: false };
}

function convert(v: unknown, type: HuntColumnType, column: string): unknown {
  switch (type) {
    case 'string':
      return v === null || v === undefined
        ? ''
        : typeof v === 'string'
          ? v
          : typeof v === 'object'
            ? JSON.stringify(v)
            : String(v);
    case 'int': {
      if (v === null || v === undefined || v === '') return 0;
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d{1,16}$/.test(v) ? Number(v) : NaN;
      if (!Number.isSafeInteger(n))
        throw new HuntResultError(
          `column ${column} is declared int but holds ${JSON.stringify(v).slice(0, 60)}`,
        );
      return n;
    }
    case 'bool':
      if (v === null || v === undefined) return false;
      if (typeof v === 'boolean') return v;
      throw new HuntResultError(
        `column ${column} is declared bool but holds ${JSON.stringify(v).slice(0, 60)}`,
      );
    default:
      return v ?? null;
  }
}

/**
 * The answer read into bounded rows. Accepts Graph's `schema`/`results` and MDE's `Schema`/`Results`,
 * entries `name`/`type` or `Name`/`Type` (reference §15.7, §15.9 gotcha 14). With `declared` columns
 * (`columns:` of the step), every row carries exactly those, converted to their types; a declared column
 * the query did not return is an error naming the columns it did.
 */
export function readHuntResult(
  body: unknown,
  limit: number,
  declared?: Record<string, HuntColumnType>,
): HuntResult {
  const b = (body ?? {}) as Record<string, unknown>;
  const schema = (Array.isArray(b.schema) ? b.schema : Array.isArray(b.Schema) ? b.Schema : []) as Array<
    Record<string, unknown>
  >;
  const results = (Array.isArray(b.results) ? b.results : Array.isArray(b.Results) ? b.Results : null) as
    HuntRow[] | null;
  if (!results) throw new HuntResultError('the hunting answer has no results');
  const columns: HuntColumn[] = schema
    .map((c) => ({ name: String(c.name ?? c.Name ?? ''), type: String(c.type ?? c.Type ?? '') }))
    .filter((c) => c.name)
    .slice(0, MAX_HUNT_COLUMNS);
  if (declared) {
    const have = new Set(columns.length ? columns.map((c) => c.name) : Object.keys(results[0] ?? {}));
    const missing = Object.keys(declared).filter((c) => !have.has(c));
    if (missing.length && (columns.length > 0 || results.length > 0)) {
      throw new HuntResultError(
        `the query returned no column ${missing.join(', ')} (its columns: ${[...have].join(', ') || 'none'})`,
      );
    }
  }
  let truncated = results.length > limit;
  const rows: HuntRow[] = [];
  let bytes = 2;
  for (const r of results.slice(0, limit)) {
    if (!r || typeof r !== 'object') continue;
    const row: HuntRow = {};
    const keys = declared ? Object.keys(declared) : Object.keys(r).slice(0, MAX_HUNT_COLUMNS);
    for (const k of keys) {
      const { v, cut } = boundValue(declared ? convert(r[k], declared[k], k) : (r[k] ?? null));
      row[k] = v;
      truncated ||= cut;
    }
    const size = JSON.stringify(row).length + 1;
    if (bytes + size > MAX_HUNT_BYTES) {
      truncated = true;
      break;
    }
    bytes += size;
    rows.push(row);
  }
  return {
    columns: declared ? Object.entries(declared).map(([name, type]) => ({ name, type })) : columns,
    rows,
    row_count: rows.length,
    truncated,
  };
}

/** POST {graph}/v1.0/security/runHuntingQuery (ThreatHunting.Read.All): the raw answer. */
export function runHuntingQuery(
  c: DefenderCaller,
  query: string,
  timespan?: string,
  budget?: Budget,
): Promise<unknown> {
  return c.call<unknown>('POST', RUN_HUNTING_QUERY_PATH, {
    api: 'graph',
    body: huntBody(query, timespan),
    budget,
  });
}
