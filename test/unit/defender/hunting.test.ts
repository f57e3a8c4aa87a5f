// A hunt's answer in workflow history: bounded rows, declared columns typed (issue 15 §3).
import {
  HuntResultError,
  MAX_HUNT_BYTES,
  huntBody,
  readHuntResult,
} from '../../../integrations/defender/hunting';

const GRAPH = {
  '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.security.huntingQueryResults',
  schema: [
    { name: 'DeviceId', type: 'String' },
    { name: 'DeviceName', type: 'String' },
    { name: 'Count', type: 'Int64' },
  ],
  results: [
    { DeviceId: 'a'.repeat(40), DeviceName: 'wks-1', Count: 3 },
    { DeviceId: 'b'.repeat(40), DeviceName: 'wks-2', Count: '7' },
  ],
};

describe('readHuntResult', () => {
  it('reads Graph and MDE casings alike', () => {
    const g = readHuntResult(GRAPH, 100);
    const m = readHuntResult(
      { Schema: GRAPH.schema.map((c) => ({ Name: c.name, Type: c.type })), Results: GRAPH.results },
      100,
    );
    expect(g).toEqual(m);
    expect(g).toMatchObject({
      row_count: 2,
      truncated: false,
      columns: [
        { name: 'DeviceId', type: 'String' },
        { name: 'DeviceName', type: 'String' },
        { name: 'Count', type: 'Int64' },
      ],
    });
  });

  it('types declared columns and keeps only them', () => {
    const r = readHuntResult(GRAPH, 100, { DeviceId: 'string', Count: 'int' });
    expect(r.rows).toEqual([
      { DeviceId: 'a'.repeat(40), Count: 3 },
      { DeviceId: 'b'.repeat(40), Count: 7 },
    ]);
    expect(r.columns).toEqual([
      { name: 'DeviceId', type: 'string' },
      { name: 'Count', type: 'int' },
    ]);
  });

  it('a declared column the query did not return is an error naming the columns it did', () => {
    expect(() => readHuntResult(GRAPH, 100, { DeviceID: 'string' })).toThrow(
      new HuntResultError('the query returned no column DeviceID (its columns: DeviceId, DeviceName, Count)'),
    );
    expect(() => readHuntResult(GRAPH, 100, { DeviceName: 'int' })).toThrow(/declared int but holds "wks-1"/);
  });

  it('cuts to the row limit, long values and the byte bound, and says so', () => {
    expect(readHuntResult(GRAPH, 1)).toMatchObject({ row_count: 1, truncated: true });
    const big = {
      schema: [],
      results: Array.from({ length: 1000 }, (_, i) => ({ i, text: 'x'.repeat(5000) })),
    };
    const r = readHuntResult(big, 1000);
    expect(r.truncated).toBe(true);
    expect(JSON.stringify(r.rows).length).toBeLessThanOrEqual(MAX_HUNT_BYTES);
    expect((r.rows[0].text as string).length).toBe(1001);
  });

  it('an empty result is no rows, declared columns or not', () => {
    expect(readHuntResult({ schema: [], results: [] }, 10, { DeviceId: 'string' })).toEqual({
      columns: [{ name: 'DeviceId', type: 'string' }],
      rows: [],
      row_count: 0,
      truncated: false,
    });
    expect(() => readHuntResult({}, 10)).toThrow(/no results/);
  });
});

describe('huntBody', () => {
  it('sends Query and an optional ISO 8601 Timespan', () => {
    expect(huntBody('T | take 1')).toEqual({ Query: 'T | take 1' });
    expect(huntBody('T', 'P7D')).toEqual({ Query: 'T', Timespan: 'P7D' });
    expect(huntBody('T', '2024-02-01T08:00:00Z/P30D')).toEqual({
      Query: 'T',
      Timespan: '2024-02-01T08:00:00Z/P30D',
    });
    expect(() => huntBody('T', '7 days')).toThrow(/ISO 8601/);
  });
});
