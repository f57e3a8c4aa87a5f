// When Temporal does not answer, the server says so within seconds — /readyz 503 inside the compose
// health check's 4 s, POST /v1/detections 503 with Retry-After (nothing acknowledged that is not
// durable) — and a re-delivered detection is answered `duplicate` by its run itself: under racing
// re-deliveries, and right after the workers restart.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Worker } from '@temporalio/worker';
import { createBlastRadiusActivities } from '../../activities/blast-radius';
import { defenderTaskQueue } from '../../core/queues';
import { buildServer } from '../../server/app';
import { createLogger } from '../../platform/logger';
import { PlaybookRegistry } from '../../intake/registry';
import { REQUEST_DEADLINE_MS } from '../../server/temporal-deadline';
import { stateQuery } from '../../workflows/messages';
import { ensureSearchAttributes } from '../../platform/temporal/search-attributes';
import { connectClient } from '../../platform/temporal/connection';
import { recordingActivities } from '../support/recording-activities';
import { FIXTURES } from '../support/playbooks';
import { createTestWorker, temporalAddress, testClient, uniqueTaskQueue } from '../support/temporal';
import { tcpProxy, type TcpProxy } from '../support/tcp-proxy';

const TOKEN = 'unavailable-test-token';
const uid = () => `${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
/** What the compose health check of nightshift-server allows /readyz. */
const HEALTHCHECK_TIMEOUT_MS = 4_000;

function registry(): PlaybookRegistry {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nightshift-unavailable-'));
  fs.cpSync(path.join(FIXTURES, 'server'), dir, { recursive: true });
  const r = new PlaybookRegistry(path.join(dir, 'nightshift.yaml'), [path.join(dir, 'playbooks')]);
  expect(r.reload().ok).toBe(true);
  return r;
}

function detection(over: Record<string, unknown> = {}) {
  const id = uid();
  return {
    id: `det-${id}`,
    title: 'Ransomware behavior detected',
    severity: 'high',
    status: 'confirmed',
    incident_id: `inc-${id}`,
    devices: [{ id: `dev-${id}`, name: `wks-${id}` }],
    ...over,
  };
}

async function server(
  client: Client,
  taskQueue: string,
  extra: Partial<Parameters<typeof buildServer>[0]> = {},
) {
  const app = await buildServer({
    client,
    registry: registry(),
    namespace: 'default',
    taskQueue,
    logger: createLogger('silent'),
    apiTokens: [TOKEN],
    ...extra,
  });
  await app.ready();
  return app;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - t0 };
}

const postDetection = (app: FastifyInstance, d: unknown) =>
  app.inject({
    method: 'POST',
    url: '/v1/detections',
    payload: d as object,
    headers: { authorization: `Bearer ${TOKEN}` },
  });

describe.each(['refuse', 'blackhole'] as const)('a Temporal that becomes unreachable (%s)', (how) => {
  jest.setTimeout(60_000);
  let app: FastifyInstance;
  let connection: Connection;
  let proxy: TcpProxy;

  beforeAll(async () => {
    // Connected as `nightshift start` connects, then the network fails.
    proxy = await tcpProxy(temporalAddress());
    connection = await connectClient({ address: proxy.address, namespace: 'default' });
    app = await server(new Client({ connection }), 'unreachable');
    expect((await app.inject('/readyz')).json().checks.temporal).toBe('ok');
    proxy.cut(how);
  });
  afterAll(async () => {
    await app?.close();
    await connection?.close();
    proxy?.close();
  });

  it('/readyz answers 503 within the health check timeout, naming Temporal', async () => {
    const { value: res, ms } = await timed(() => app.inject('/readyz'));
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      status: 'not_ready',
      checks: { temporal: expect.stringMatching(/^unreachable: /), playbooks: 'ok' },
    });
    expect(ms).toBeLessThan(HEALTHCHECK_TIMEOUT_MS);
  });

  it('POST /v1/detections answers 503 with Retry-After within seconds, not a 500 after 20 s', async () => {
    const { value: res, ms } = await timed(() => postDetection(app, detection()));
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toEqual({
      error: 'unavailable',
      message: 'Temporal did not answer in time: retry later',
    });
    expect(ms).toBeLessThan(REQUEST_DEADLINE_MS + 1_000);
  });
});

describe('readiness checks of other components', () => {
  let client: Client;
  let connection: Connection;
  beforeAll(async () => {
    ({ client, connection } = await testClient());
  });
  afterAll(() => connection?.close());

  it('runs each with the same time bound and reports its reason', async () => {
    const app = await server(client, uniqueTaskQueue('ready'), {
      readinessChecks: [
        { name: 'defender', check: async () => 'Defender refused the credentials (invalid_client)' },
        { name: 'slow', check: () => new Promise<string | null>(() => undefined) },
        { name: 'fine', check: async () => null },
      ],
    });
    try {
      const { value: res, ms } = await timed(() => app.inject('/readyz'));
      expect(res.statusCode).toBe(503);
      expect(res.json().checks).toMatchObject({
        temporal: 'ok',
        defender: 'Defender refused the credentials (invalid_client)',
        slow: 'no answer within 2.5 s',
        fine: 'ok',
      });
      expect(ms).toBeLessThan(HEALTHCHECK_TIMEOUT_MS);
    } finally {
      await app.close();
    }
  });
});

describe('re-delivered detections', () => {
  jest.setTimeout(90_000);
  let client: Client;
  let connection: Connection;
  let app: FastifyInstance;
  let taskQueue: string;
  let workers: Array<{ worker: Worker; done: Promise<void>; close: () => Promise<void> }> = [];

  async function startWorkers() {
    const acts = recordingActivities();
    const main = await createTestWorker({
      taskQueue,
      activities: { ...acts.main, ...createBlastRadiusActivities(client, taskQueue) },
    });
    const def = await createTestWorker({
      taskQueue: defenderTaskQueue(taskQueue),
      activities: acts.defender,
    });
    workers = [main, def].map(({ worker, connection: c }) => ({
      worker,
      done: worker.run(),
      close: () => c.close(),
    }));
  }
  async function stopWorkers() {
    for (const w of workers) w.worker.shutdown();
    for (const w of workers) {
      await w.done;
      await w.close();
    }
    workers = [];
  }

  beforeAll(async () => {
    ({ client, connection } = await testClient());
    await ensureSearchAttributes(connection, 'default');
    taskQueue = uniqueTaskQueue('redeliver');
    await startWorkers();
    app = await server(client, taskQueue);
  });
  afterAll(async () => {
    await app?.close();
    await stopWorkers();
    await connection?.close();
  });

  const result = async (d: unknown) => {
    const res = await postDetection(app, d);
    expect(res.statusCode).toBe(202);
    return (res.json().runs as Array<{ result: string; workflowId: string }>)[0];
  };

  it('answer duplicate for every copy but one, however they race, and after the workers restart', async () => {
    const d1 = detection();
    const first = await result(d1);
    expect(first.result).toBe('started');
    const handle = client.workflow.getHandle(first.workflowId);

    // Ten copies of a second detection of the incident at once: the run has processed none of them
    // when the others arrive.
    const d2 = detection({ incident_id: d1.incident_id });
    const copies = await Promise.all(Array.from({ length: 10 }, () => result(d2)));
    expect(copies.map((c) => c.result).sort()).toEqual(['attached', ...Array(9).fill('duplicate')]);
    expect((await handle.query(stateQuery)).detectionIds).toEqual([d1.id, d2.id]);

    // No worker: the run cannot say whether a detection is new, so nothing is acknowledged.
    await stopWorkers();
    const d3 = detection({ incident_id: d1.incident_id });
    const down = await postDetection(app, d3);
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBe('5');

    // Right after the restart, the run (rebuilt from its history) answers for itself.
    await startWorkers();
    expect((await result(d2)).result).toBe('duplicate');
    expect(['attached', 'duplicate']).toContain((await result(d3)).result);
    expect((await result(d3)).result).toBe('duplicate');
    expect((await handle.query(stateQuery)).detectionIds).toEqual([d1.id, d2.id, d3.id]);
  });
});
