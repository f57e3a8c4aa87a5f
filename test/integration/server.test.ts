// The HTTP server on the real Temporal server: detection intake in three formats, authentication by
// token and by signature, every bad request answered with the right status and nothing started, the
// runs API, approvals for API clients, playbook reload, metrics and the OpenAPI document.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import type { Worker } from '@temporalio/worker';
import { createBlastRadiusActivities } from '../../activities/blast-radius';
import { defenderTaskQueue } from '../../core/queues';
import { buildServer } from '../../server/app';
import { createLogger } from '../../platform/logger';
import { createMetrics } from '../../platform/metrics';
import { PlaybookRegistry } from '../../intake/registry';
import { signBody } from '../../server/signature';
import { ensureSearchAttributes } from '../../platform/temporal/search-attributes';
import { recordingActivities } from '../support/recording-activities';
import { FIXTURES } from '../support/playbooks';
import { createTestWorker, testClient, uniqueTaskQueue } from '../support/temporal';

const TOKEN = 'server-test-token';
const SECRET = 'a-webhook-secret-of-at-least-32-characters!';

let client: Client;
let connection: Connection;
let app: FastifyInstance;
let workers: Array<{ worker: Worker; done: Promise<void>; close: () => Promise<void> }>;
let dir: string;
let registry: PlaybookRegistry;
let taskQueue: string;

const uid = () => `${Date.now()}-${Math.floor(Math.random() * 1e9)}`;

function detection(over: Record<string, unknown> = {}) {
  const id = uid();
  return {
    id: `det-${id}`,
    title: 'Ransomware behavior detected',
    severity: 'high',
    status: 'confirmed',
    incident_id: `inc-${id}`,
    detected_at: '2026-11-22T03:01:07Z',
    devices: [{ id: `dev-${id}`, name: `wks-${id}.corp.example`, tags: ['finance'] }],
    ...over,
  };
}

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` },
) {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await app.inject({
    method: 'POST',
    url,
    payload,
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

async function get(url: string) {
  const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`not reached in ${ms} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Runs whose detection ids include `id` (visibility). */
async function runsOf(detectionId: string): Promise<unknown[]> {
  const r = await get(`/v1/runs?detection=${encodeURIComponent(detectionId)}`);
  return r.body.runs as unknown[];
}

beforeAll(async () => {
  ({ client, connection } = await testClient());
  await ensureSearchAttributes(connection, 'default');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nightshift-server-'));
  fs.cpSync(path.join(FIXTURES, 'server'), dir, { recursive: true });
  registry = new PlaybookRegistry(path.join(dir, 'nightshift.yaml'), [path.join(dir, 'playbooks')]);
  expect(registry.reload().ok).toBe(true);
  taskQueue = uniqueTaskQueue('server');
  const acts = recordingActivities();
  const main = await createTestWorker({
    taskQueue,
    activities: { ...acts.main, ...createBlastRadiusActivities(client, taskQueue) },
  });
  const def = await createTestWorker({ taskQueue: defenderTaskQueue(taskQueue), activities: acts.defender });
  workers = [main, def].map(({ worker, connection: c }) => ({
    worker,
    done: worker.run(),
    close: () => c.close(),
  }));
  app = await buildServer({
    client,
    registry,
    namespace: 'default',
    taskQueue,
    logger: createLogger('silent'),
    metrics: createMetrics(),
    apiTokens: [TOKEN],
    webhookSecrets: [SECRET],
  });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  for (const w of workers ?? []) w.worker.shutdown();
  for (const w of workers ?? []) {
    await w.done;
    await w.close();
  }
  await connection?.close();
});

describe('POST /v1/detections', () => {
  jest.setTimeout(60_000);

  it('starts a run for a spec detection, and the same detection again is a duplicate of the same run', async () => {
    const d = detection();
    const first = await post('/v1/detections', d);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      format: 'generic',
      detectionId: d.id,
      runs: [{ playbook: 'contain', result: 'started' }],
    });
    const again = await post('/v1/detections', d);
    expect(again.status).toBe(202);
    const [r1] = first.body.runs as Array<{ workflowId: string }>;
    expect(again.body.runs).toEqual([
      expect.objectContaining({ workflowId: r1.workflowId, result: 'duplicate' }),
    ]);
    await until(
      () => runsOf(d.id),
      (r) => r.length === 1,
    );
  });

  it('reports one run started and the others attached when deliveries of one incident race', async () => {
    const first = detection();
    const racing = Array.from({ length: 5 }, () => detection({ incident_id: first.incident_id }));
    const answers = await Promise.all(racing.map((d) => post('/v1/detections', d)));
    const results = answers.map((a) => (a.body.runs as Array<{ result: string; workflowId: string }>)[0]);
    expect(results.filter((r) => r.result === 'started')).toHaveLength(1);
    expect(results.filter((r) => r.result === 'attached')).toHaveLength(4);
    expect(new Set(results.map((r) => r.workflowId)).size).toBe(1);
  });

  it('accepts a Defender alert as the API returns it', async () => {
    const id = uid();
    const alert = {
      id: `da${id}`,
      incidentId: Number(id.slice(-6)),
      title: 'Suspicious PowerShell command line',
      severity: 'High',
      status: 'Resolved',
      classification: 'TruePositive',
      determination: 'Malware',
      detectionSource: 'WindowsDefenderAtp',
      category: 'Execution',
      alertCreationTime: '2026-11-22T03:01:07.1234567Z',
      lastUpdateTime: '2026-11-22T03:05:00Z',
      machineId: `m${id}`,
      computerDnsName: 'wks-7.corp.example',
      mitreTechniques: ['T1059.001'],
      evidence: [],
    };
    const r = await post('/v1/detections', alert);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({
      format: 'defender',
      runs: [{ playbook: 'contain', result: 'started', deviceIds: [`m${id}`] }],
    });
  });

  it('refuses a Defender alert with a wrong type by the field name, and starts nothing', async () => {
    const id = uid();
    const alert = {
      id: `da${id}`,
      incidentId: { id: 1 },
      title: 'Suspicious PowerShell command line',
      severity: 3,
      classification: 'TruePositive',
      detectionSource: 'WindowsDefenderAtp',
      alertCreationTime: '2026-11-22T03:01:07.1234567Z',
      machineId: `m${id}`,
    };
    const r = await post('/v1/detections', alert);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'invalid_detection', format: 'defender' });
    expect((r.body.fields as Array<{ path: string }>).map((f) => f.path).sort()).toEqual([
      'incidentId',
      'severity',
    ]);
    expect(await runsOf(alert.id)).toEqual([]);
  });

  it('takes a detection without detected_at as detected when it arrived', async () => {
    const { detected_at: _omitted, ...d } = detection();
    const before = Date.now();
    const r = await post('/v1/detections', d);
    expect(r.status).toBe(202);
    const { workflowId } = (r.body.runs as Array<{ workflowId: string }>)[0];
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    // The run's input (its first and only argument) holds the detection as the run sees it.
    const input = defaultPayloadConverter.fromPayload<{ detection: { detected_at: string } }>(
      history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0],
    );
    const at = Date.parse(input.detection.detected_at);
    expect(at).toBeGreaterThanOrEqual(before - 1000);
    expect(at).toBeLessThanOrEqual(Date.now());
  });

  it('accepts a Red Canary detection (API v3 shape)', async () => {
    const id = Number(String(Date.now()).slice(-7));
    const rc = {
      data: {
        type: 'Detection',
        id,
        attributes: {
          headline: `[DEMO-${id}] Malicious Software (Trojan)`,
          confirmed_at: '2026-11-22T03:01:07.000Z',
          severity: 'high',
          classification: { superclassification: 'Malicious Software', subclassification: ['Trojan'] },
          time_of_occurrence: '2026-11-22T02:58:00.000Z',
        },
        hostname: 'victim-llama',
        username: 'victim-llama\\rem',
        relationships: { affected_endpoint: { data: { type: 'endpoint', id: 97 } } },
      },
    };
    const r = await post('/v1/detections', rc);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({
      format: 'redcanary',
      detectionId: `redcanary-${id}`,
      runs: [{ result: 'started' }],
    });
  });

  it('accepts a request signed with a webhook secret, and refuses a bad, stale or replayed-late signature', async () => {
    const d = detection();
    const body = JSON.stringify(d);
    const ok = await post('/v1/detections', body, { 'x-nightshift-signature': signBody(SECRET, body) });
    expect(ok.status).toBe(202);

    const d2 = detection();
    const body2 = JSON.stringify(d2);
    const forged = await post('/v1/detections', body2, {
      'x-nightshift-signature': signBody('some-other-secret-of-32-characters-or-more', body2),
    });
    expect(forged).toMatchObject({ status: 401, body: { message: 'signature does not match the body' } });
    const tampered = await post('/v1/detections', body2.replace('high', 'critical'), {
      'x-nightshift-signature': signBody(SECRET, body2),
    });
    expect(tampered.status).toBe(401);
    const stale = await post('/v1/detections', body2, {
      'x-nightshift-signature': signBody(SECRET, body2, Math.floor(Date.now() / 1000) - 301),
    });
    expect(stale.body.message).toMatch(/more than 5 minutes/);
    const garbage = await post('/v1/detections', body2, { 'x-nightshift-signature': 'sha256=abc' });
    expect(garbage.body.message).toMatch(/t=<unix>,v1=<hex>/);
    expect(await runsOf(d2.id)).toEqual([]);
  });

  it.each([
    ['no token', {}, 401, /missing "Authorization: Bearer <token>"/],
    ['a bad token', { authorization: 'Bearer not-the-token' }, 401, /bearer token is not valid/],
  ])('refuses %s and starts nothing', async (_what, headers, status, message) => {
    const d = detection();
    const r = await post('/v1/detections', d, headers as Record<string, string>);
    expect(r.status).toBe(status);
    expect(r.body.message).toMatch(message);
    expect(await runsOf(d.id)).toEqual([]);
  });

  it('answers malformed JSON with 400 naming the problem', async () => {
    const r = await post('/v1/detections', '{"id": "x", ');
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/^body is not valid JSON: /);
  });

  it('names every invalid field of a wrong schema in one 400, and starts nothing', async () => {
    const d = detection({
      severity: 'urgent',
      devices: [{ name: 'no-id' }],
      detected_at: 'yesterday',
      extra: 1,
    });
    const r = await post('/v1/detections', d);
    expect(r.status).toBe(400);
    const fields = (r.body.fields as Array<{ path: string }>).map((f) => f.path).sort();
    expect(fields).toEqual(['(root)', 'detected_at', 'devices[0].id', 'severity']);
    expect(r.body.message).toMatch(/severity: /);
    expect(await runsOf(d.id as string)).toEqual([]);
  });

  it('refuses an oversized body with 413', async () => {
    const d = detection({ title: 'x'.repeat(1024 * 1024) });
    const r = await post('/v1/detections', d);
    expect(r.status).toBe(413);
    expect(r.body.message).toMatch(/larger than 1048576 bytes/);
  });

  it('refuses an unknown ?format', async () => {
    const r = await post('/v1/detections?format=splunk', detection());
    expect(r).toMatchObject({
      status: 400,
      body: { message: 'format must be one of generic, defender, redcanary' },
    });
  });
});

describe('runs API and approvals for API clients', () => {
  jest.setTimeout(60_000);

  it('lists runs by detection, device, playbook and waiting-for-approval, and shows one run', async () => {
    const d = detection();
    const started = await post('/v1/detections', d);
    const workflowId = (started.body.runs as Array<{ workflowId: string }>)[0].workflowId;
    const byDevice = await until(
      () => get(`/v1/runs?device=${d.devices[0].id}&waiting=true`),
      (r) => (r.body.runs as unknown[]).length === 1,
    );
    expect(byDevice.body.runs).toEqual([
      expect.objectContaining({
        workflowId,
        playbook: 'contain',
        status: 'RUNNING',
        waitingForApproval: true,
        incidentId: d.incident_id,
      }),
    ]);
    const byPlaybook = await get(`/v1/runs?playbook=contain&status=running&limit=500`);
    expect((byPlaybook.body.runs as Array<{ workflowId: string }>).map((r) => r.workflowId)).toContain(
      workflowId,
    );

    const one = await until(
      () => get(`/v1/runs/${encodeURIComponent(workflowId)}`),
      (r) => (r.body.steps as Array<{ waiting_for?: string }>)[0].waiting_for === 'approval',
    );
    expect(one.body).toMatchObject({
      workflowId,
      currentStep: 'approval',
      temporalStatus: 'RUNNING',
      playbook: 'contain',
    });
    // The step in progress reads running, with what it waits for; the next one has not started.
    expect(one.body.steps).toEqual([
      {
        id: 'approval',
        status: 'running',
        started_at: expect.any(String),
        waiting_for: 'approval',
        approval_id: (one.body.pendingApprovals as Array<{ approvalId: string }>)[0].approvalId,
        expires_at: expect.any(String),
      },
      { id: 'isolate', status: 'pending' },
    ]);
    expect((await get('/v1/runs/nope')).status).toBe(404);
    expect((await get('/v1/runs?colour=red')).body.message).toMatch(/unknown filter "colour"/);
    expect((await get("/v1/runs?playbook=x'%20OR%20'1'='1")).status).toBe(400);
  });

  it('lets an API client decide for a permitted person; refuses others with the reason, nothing changed', async () => {
    const d = detection();
    const started = await post('/v1/detections', d);
    const workflowId = (started.body.runs as Array<{ workflowId: string }>)[0].workflowId;
    const st = await until(
      () => get(`/v1/runs/${encodeURIComponent(workflowId)}`),
      (r) => (r.body.pendingApprovals as unknown[] | undefined)?.length === 1,
    );
    const approvalId = (st.body.pendingApprovals as Array<{ approvalId: string }>)[0].approvalId;
    const refused = await post('/v1/approvals', { approvalId, person: 'cho', outcome: 'approved' });
    expect(refused).toMatchObject({
      status: 409,
      body: { error: 'refused', message: 'cho may not decide this approval' },
    });
    const bad = await post('/v1/approvals', { approvalId, person: 'ana', outcome: 'maybe' });
    expect(bad.status).toBe(400);
    const ok = await post('/v1/approvals', { approvalId, person: 'ana', outcome: 'approved' });
    expect(ok).toMatchObject({
      status: 200,
      body: { outcome: 'approved', decidedBy: 'ana', channel: 'api' },
    });
    const done = await until(
      () => get(`/v1/runs/${encodeURIComponent(workflowId)}`),
      (r) => r.body.temporalStatus === 'COMPLETED',
    );
    // The same answer again (a client retrying after a lost response or a 503) gets the same result.
    const retried = await post('/v1/approvals', { approvalId, person: 'ana', outcome: 'approved' });
    expect(retried).toEqual(ok);
    expect(
      (done.body.steps as Array<{ id: string; status: string }>).map((s) => `${s.id}:${s.status}`),
    ).toEqual(['approval:succeeded', 'isolate:succeeded']);
    const completed = await until(
      () => get(`/v1/runs?detection=${d.id}&status=completed`),
      (r) => (r.body.runs as unknown[]).length === 1,
    );
    expect(completed.body.runs).toEqual([expect.objectContaining({ outcome: 'completed' })]);
  });
});

describe('operations', () => {
  it('reloads playbooks: a bad file is refused with diagnostics and its previous version keeps serving', async () => {
    const file = path.join(dir, 'playbooks', 'contain.yaml');
    const good = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(
      file,
      good.replace('version: 1', 'version: 2').replace('approvers: [leads]', 'approvers: [nobody]'),
    );
    const bad = await post('/v1/playbooks/reload', {});
    expect(bad.status).toBe(422);
    expect((bad.body.diagnostics as Array<{ text: string }>)[0].text).toMatch(
      /contain\.yaml:\d+:\d+: error: .*nobody/,
    );
    expect(bad.body.serving).toEqual([expect.objectContaining({ name: 'contain', version: 1 })]);
    // A run started on version 1 keeps version 1 (its IR is pinned in its input); new runs get version 2.
    const before = await post('/v1/detections', detection());
    const oldRun = (before.body.runs as Array<{ workflowId: string }>)[0].workflowId;
    fs.writeFileSync(file, good.replace('version: 1', 'version: 2'));
    const fixed = await post('/v1/playbooks/reload', {});
    expect(fixed.status).toBe(200);
    expect(fixed.body.serving).toEqual([expect.objectContaining({ name: 'contain', version: 2 })]);
    const after = await post('/v1/detections', detection());
    const newRun = (after.body.runs as Array<{ workflowId: string; version: number }>)[0];
    expect(newRun.version).toBe(2);
    const v1 = await until(
      () => get(`/v1/runs/${encodeURIComponent(oldRun)}`),
      (r) => r.status === 200,
    );
    const v2 = await until(
      () => get(`/v1/runs/${encodeURIComponent(newRun.workflowId)}`),
      (r) => r.status === 200,
    );
    expect(v1.body.version).toBe(1);
    expect(v2.body.version).toBe(2);
    expect(v1.body.hash).not.toBe(v2.body.hash);
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    const m = (await app.inject('/metrics')).body;
    expect(m).toMatch(/nightshift_intake_detections_total\{format="generic"\} \d+/);
    expect(m).toMatch(/nightshift_intake_rejections_total\{reason="auth"\} [1-9]/);
    expect(m).toMatch(/nightshift_intake_rejections_total\{reason="signature"\} [1-9]/);
    expect(m).toMatch(/nightshift_runs_started_total\{playbook="contain",result="duplicate"\} [1-9]/);
  });

  it('documents every route in its OpenAPI document, generated from the routes’ schemas', async () => {
    const doc = (await app.inject('/openapi.json')).json() as {
      openapi: string;
      paths: Record<string, Record<string, { summary?: string }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.entries(ops).map(([m, op]) => [
        `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`,
        op.summary,
      ]),
    );
    const routes = app.nightshiftRoutes.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`);
    expect(documented.map(([r]) => r).sort()).toEqual([...routes].sort());
    // No route without a schema: each says what it is.
    expect(documented.filter(([, summary]) => !summary)).toEqual([]);
    expect(app.nightshiftRoutes.filter((r) => r.method !== 'HEAD' && !r.schema)).toEqual([]);
  });
});
