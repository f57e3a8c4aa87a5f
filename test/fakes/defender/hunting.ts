// The fake's advanced hunting (reference §15.7, §15.10 items 13-14): Microsoft Graph runHuntingQuery
// ({Query, Timespan?} → {schema, results}) and the retiring MDE /api/advancedqueries/run ({Query} →
// {Schema, Results}). Queries run on `tables` through the KQL subset of ./kql; a query that does not
// parse is a 400, as the service answers (its exact JSON for KQL errors is unknown, §15.12.13).
import { KqlSyntaxError, runKql, type Row } from './kql';

export type Answer = {
  status: number;
  body?: unknown;
  error?: { code: string; message: string };
  headers?: Record<string, string>;
};

function kqlType(v: unknown, column: string): string {
  if (column === 'Timestamp') return 'DateTime';
  if (typeof v === 'number') return Number.isInteger(v) ? 'Int64' : 'Double';
  if (typeof v === 'boolean') return 'Boolean';
  if (v && typeof v === 'object') return 'Object';
  return 'String';
}

export class FakeHunting {
  /** Hunting tables by name (DeviceProcessEvents, DeviceFileEvents, …), rows as the schema documents them. */
  readonly tables: Record<string, Row[]> = {};
  /** Queries received (decoded), for assertions. */
  readonly queries: Array<{ api: 'graph' | 'mde'; query: string; timespan?: string }> = [];
  /** The next N queries are refused 429 with this Retry-After (CPU quota, §15.7). */
  throttleNext = 0;
  /** The MDE endpoint after its retirement (INFERRED: the post-retirement answer is unknown). */
  mdeRetired = false;

  run(api: 'graph' | 'mde', body: Record<string, unknown>, baseUrl: string): Answer {
    if (api === 'mde' && this.mdeRetired) {
      return {
        status: 410,
        error: {
          code: 'Gone',
          message: 'The advanced hunting API of Defender for Endpoint was retired (INFERRED)',
        },
      };
    }
    const allowed = api === 'graph' ? ['Query', 'Timespan'] : ['Query'];
    if (typeof body.Query !== 'string' || body.Query.trim() === '') {
      return { status: 400, error: { code: 'BadRequest', message: 'Parameter Query is missing.' } };
    }
    for (const k of Object.keys(body)) {
      if (!allowed.includes(k))
        return { status: 400, error: { code: 'BadRequest', message: `Unknown parameter ${k}` } };
    }
    if (body.Timespan !== undefined && typeof body.Timespan !== 'string') {
      return { status: 400, error: { code: 'BadRequest', message: 'Timespan must be a string' } };
    }
    this.queries.push({ api, query: body.Query, timespan: body.Timespan as string | undefined });
    if (this.throttleNext > 0) {
      this.throttleNext -= 1;
      return {
        status: 429,
        error: {
          code: 'TooManyRequests',
          message: 'Query execution was throttled: the CPU quota of the tenant is used up.',
        },
        headers: { 'retry-after': '2' },
      };
    }
    let out: { columns: string[]; rows: Row[] };
    try {
      out = runKql(body.Query, this.tables);
    } catch (err) {
      if (err instanceof KqlSyntaxError) {
        return {
          status: 400,
          error: { code: 'BadRequest', message: `Query could not be parsed: ${err.message}` },
        };
      }
      throw err;
    }
    if (out.rows.length > 100_000) {
      return {
        status: 400,
        error: {
          code: 'BadRequest',
          message:
            'Query execution has exceeded the allowed result size. Optimize your query by limiting the number of results and try again',
        },
      };
    }
    const schema = out.columns.map((c) => ({
      c,
      t: kqlType(out.rows.find((r) => r[c] !== null && r[c] !== undefined)?.[c], c),
    }));
    if (api === 'graph') {
      return {
        status: 200,
        body: {
          '@odata.context':
            'https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.security.huntingQueryResults',
          schema: schema.map(({ c, t }) => ({ name: c, type: t })),
          results: out.rows,
        },
      };
    }
    void baseUrl;
    return {
      status: 200,
      body: { Schema: schema.map(({ c, t }) => ({ Name: c, Type: t })), Results: out.rows },
    };
  }
}
