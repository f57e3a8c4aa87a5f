// The HTTP server: detection intake, runs API, approvals for API clients, playbook reload, health,
// metrics and the OpenAPI document. Interaction endpoints (Slack, Twilio, signed links) are mounted
// from server/interactions as a plugin.
import crypto from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { formatDiagnostic } from '../compiler';
import { TASK_QUEUE } from '../core/queues';
import { ackUpdate, decideUpdate, stateQuery } from '../workflows/messages';
import { rootCause as refusalReason } from '../core/failures';
import { workflowIdOf } from '../core/messages';
import { DETECTION_FORMATS, parseAnyDetection, type DetectionFormat } from '../intake/formats';
import { startOrAttach } from '../intake/start-or-attach';
import { createMetrics, type Metrics } from '../platform/metrics';
import { OPENAPI } from './openapi';
import type { PlaybookRegistry } from '../intake/registry';
import { RequestLog } from './request-log';
import { listRuns, RunFilterError } from './runs';
import { SIGNATURE_HEADER, verifySignature } from './signature';
import {
  READINESS_DEADLINE_MS,
  REQUEST_DEADLINE_MS,
  RETRY_AFTER_SECONDS,
  isTemporalUnavailable,
  within,
} from './temporal-deadline';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface ServerDeps {
  client: Client;
  registry: PlaybookRegistry;
  namespace: string;
  logger: Logger;
  /** Bearer tokens accepted on the API (compared in constant time). */
  apiTokens: string[];
  /** Secrets of signed detection webhooks (X-Nightshift-Signature); empty = signatures not accepted. */
  webhookSecrets?: string[];
  metrics?: Metrics;
  taskQueue?: string;
  /** Extra plugins (interaction endpoints). */
  plugins?: Array<(app: FastifyInstance) => Promise<void>>;
  /**
   * More checks of /readyz (e.g. Defender authentication), run with the same time bound as the
   * built-in ones: a check resolves null when all is well, else the reason it is not.
   */
  readinessChecks?: Array<{ name: string; check: () => Promise<string | null> }>;
}

function tokenOk(given: string, tokens: string[]): boolean {
  const g = crypto.createHash('sha256').update(given).digest();
  let ok = false;
  // Hash both sides so lengths match, and compare against every token (no early exit).
  for (const t of tokens) {
    if (crypto.timingSafeEqual(g, crypto.createHash('sha256').update(t).digest())) ok = true;
  }
  return ok;
}

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
  }
  interface FastifyInstance {
    nightshiftRoutes: Array<{ method: string; url: string }>;
  }
}

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new RequestLog(),
    bodyLimit: MAX_BODY_BYTES,
  });
  // Every route, for the OpenAPI consistency test.
  const routes: Array<{ method: string; url: string }> = [];
  app.decorate('nightshiftRoutes', routes);
  app.addHook('onRoute', (r) => {
    for (const method of ([] as string[]).concat(r.method)) routes.push({ method, url: r.url });
    // Every handler (plugins' included) waits on Temporal for a bounded time; a handler that needs
    // another bound sets its own with client.withDeadline inside.
    const handler = r.handler;
    r.handler = function (this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
      return deps.client.withDeadline(Date.now() + REQUEST_DEADLINE_MS, async () =>
        handler.call(this, req, reply),
      );
    };
  });
  const taskQueue = deps.taskQueue ?? TASK_QUEUE;
  const metrics = deps.metrics ?? createMetrics();

  // JSON bodies are parsed here so the raw text stays available for signature checks.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    req.rawBody = body as string;
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      const e = new Error(`body is not valid JSON: ${(err as Error).message}`) as Error & {
        statusCode: number;
      };
      e.statusCode = 400;
      done(e, undefined);
    }
  });

  const bearer = (req: FastifyRequest): 'ok' | 'missing' | 'bad' => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m) return 'missing';
    return tokenOk(m[1], deps.apiTokens) ? 'ok' : 'bad';
  };
  const unauthorized = (reply: FastifyReply, message: string) =>
    reply.code(401).send({ error: 'unauthorized', message });

  /** API routes: a bearer token. */
  const authenticate = async (req: FastifyRequest, reply: FastifyReply) => {
    const b = bearer(req);
    if (b === 'missing') return unauthorized(reply, 'missing "Authorization: Bearer <token>" header');
    if (b === 'bad') return unauthorized(reply, 'the bearer token is not valid');
  };
  /** Detection intake: a bearer token, or a webhook signature over the raw body. */
  const authenticateIntake = async (req: FastifyRequest, reply: FastifyReply) => {
    const sig = req.headers[SIGNATURE_HEADER];
    if (typeof sig === 'string') {
      if (!deps.webhookSecrets?.length) {
        metrics.intakeRejections.inc({ reason: 'signature' });
        return unauthorized(
          reply,
          `${SIGNATURE_HEADER} is not accepted: no NIGHTSHIFT_WEBHOOK_SECRETS configured`,
        );
      }
      const v = verifySignature(deps.webhookSecrets, sig, req.rawBody ?? '');
      if (!v.ok) {
        metrics.intakeRejections.inc({ reason: 'signature' });
        return unauthorized(reply, v.reason);
      }
      return;
    }
    const b = bearer(req);
    if (b !== 'ok') {
      metrics.intakeRejections.inc({ reason: 'auth' });
      return unauthorized(
        reply,
        b === 'bad'
          ? 'the bearer token is not valid'
          : `missing "Authorization: Bearer <token>" or ${SIGNATURE_HEADER} header`,
      );
    }
  };

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (isTemporalUnavailable(err)) {
      // Nothing was acknowledged: the sender retries, and a retried detection is answered for what
      // Temporal really holds (started, attached or duplicate).
      req.log.warn({ err: { message: err.message.split('\n')[0] } }, 'Temporal did not answer in time');
      if (req.url.startsWith('/v1/detections')) metrics.intakeRejections.inc({ reason: 'unavailable' });
      return reply
        .code(503)
        .header('retry-after', String(RETRY_AFTER_SECONDS))
        .send({ error: 'unavailable', message: 'Temporal did not answer in time: retry later' });
    }
    const status = err.statusCode ?? 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    if (req.url.startsWith('/v1/detections'))
      metrics.intakeRejections.inc({ reason: status === 413 ? 'too_large' : 'malformed' });
    const message =
      err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `request body is larger than ${MAX_BODY_BYTES} bytes`
        : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'Content-Type must be application/json'
          : status >= 500
            ? 'internal error'
            : err.message;
    void reply
      .code(status)
      .send({ error: status >= 500 ? 'internal' : status === 413 ? 'too_large' : 'bad_request', message });
  });

  // Fastify's default echoes the whole URL (query included) in its answer; the path is enough.
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0].slice(0, 200)}` }),
  );

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const checks: Record<string, string> = {};
    const late = `no answer within ${READINESS_DEADLINE_MS / 1000} s`;
    const temporal = async (): Promise<void> => {
      try {
        await deps.client.withDeadline(Date.now() + READINESS_DEADLINE_MS, async () => {
          await deps.client.workflowService.getSystemInfo({});
          checks.temporal = 'ok';
          const tq = await deps.client.workflowService.describeTaskQueue({
            namespace: deps.namespace,
            taskQueue: { name: taskQueue },
            taskQueueType: 1, // workflow tasks
          });
          checks.worker = (tq.pollers?.length ?? 0) > 0 ? 'ok' : 'no worker is polling the task queue';
        });
      } catch (err) {
        const why = isTemporalUnavailable(err) ? late : (err as Error).message.split('\n')[0];
        if (checks.temporal === 'ok') checks.worker = `unknown: ${why}`;
        else checks.temporal = `unreachable: ${why}`;
      }
    };
    const extra = (deps.readinessChecks ?? []).map(async ({ name, check }) => {
      checks[name] =
        (await within(
          READINESS_DEADLINE_MS,
          () => check().catch((err: Error) => err.message),
          () => late,
        )) ?? 'ok';
    });
    checks.playbooks = deps.registry.current.org ? 'ok' : 'nightshift.yaml is not loaded';
    await Promise.all([temporal(), ...extra]);
    const ok = Object.values(checks).every((v) => v === 'ok');
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready', checks });
  });

  app.get('/metrics', async (_req, reply) => {
    return reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.get('/openapi.json', async () => OPENAPI);

  app.post<{ Querystring: { format?: string } }>(
    '/v1/detections',
    { preHandler: authenticateIntake },
    async (req, reply) => {
      const format = req.query.format;
      if (format !== undefined && !DETECTION_FORMATS.includes(format as DetectionFormat)) {
        metrics.intakeRejections.inc({ reason: 'invalid' });
        return reply
          .code(400)
          .send({ error: 'bad_request', message: `format must be one of ${DETECTION_FORMATS.join(', ')}` });
      }
      const parsed = parseAnyDetection(req.body, format as DetectionFormat | undefined, { now: new Date() });
      if (!parsed.detection) {
        metrics.intakeRejections.inc({ reason: 'invalid' });
        return reply.code(400).send({
          error: 'invalid_detection',
          format: parsed.format,
          message: parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; '),
          fields: parsed.errors,
        });
      }
      metrics.intakeDetections.inc({ format: parsed.format });
      const result = await startOrAttach(deps.client, deps.registry.current, parsed.detection, { taskQueue });
      for (const r of result.runs) metrics.runsStarted.inc({ playbook: r.playbook, result: r.result });
      return reply.code(202).send({ format: parsed.format, ...result });
    },
  );

  app.post('/v1/playbooks/reload', { preHandler: authenticate }, async (_req, reply) => {
    const r = deps.registry.reload();
    return reply.code(r.ok ? 200 : 422).send({
      ok: r.ok,
      loaded: r.loaded,
      serving: deps.registry.current.playbooks.map((p) => ({
        name: p.name,
        version: p.version,
        hash: p.hash,
      })),
      diagnostics: r.diagnostics.map((d) => ({ ...d, text: formatDiagnostic(d) })),
    });
  });

  app.get<{ Querystring: Record<string, string> }>(
    '/v1/runs',
    { preHandler: authenticate },
    async (req, reply) => {
      try {
        return await listRuns(deps.client, req.query);
      } catch (err) {
        if (err instanceof RunFilterError)
          return reply.code(400).send({ error: 'bad_request', message: err.message });
        throw err;
      }
    },
  );

  app.get<{ Params: { id: string } }>('/v1/runs/:id', { preHandler: authenticate }, async (req, reply) => {
    const handle = deps.client.workflow.getHandle(req.params.id);
    try {
      const desc = await handle.describe();
      if (desc.type !== 'playbookRun')
        return reply
          .code(404)
          .send({ error: 'not_found', message: `${req.params.id} is not a playbook run` });
      const state = await handle.query(stateQuery);
      return {
        ...state,
        workflowId: req.params.id,
        temporalStatus: desc.status.name,
        startedAt: desc.startTime,
        closedAt: desc.closeTime ?? null,
      };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        return reply.code(404).send({ error: 'not_found', message: `no run ${req.params.id}` });
      }
      throw err;
    }
  });

  // Approvals and acknowledgements for authenticated API clients (a ticketing integration, a console):
  // the client names the person; the run's validator decides whether that person may answer.
  const interaction = async (
    reply: FastifyReply,
    id: string,
    fn: (workflowId: string) => Promise<unknown>,
  ): Promise<unknown> => {
    const workflowId = workflowIdOf(id);
    if (!workflowId) return reply.code(400).send({ error: 'bad_request', message: `malformed id "${id}"` });
    try {
      return await fn(workflowId);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        return reply.code(409).send({ error: 'refused', message: refusalReason(err) });
      }
      if (err instanceof WorkflowNotFoundError)
        return reply.code(404).send({ error: 'not_found', message: `no run ${workflowId}` });
      throw err;
    }
  };

  app.post<{ Body: { approvalId: string; person: string; outcome: 'approved' | 'denied' } }>(
    '/v1/approvals',
    {
      preHandler: authenticate,
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['approvalId', 'person', 'outcome'],
          properties: {
            approvalId: { type: 'string', minLength: 1, maxLength: 600 },
            person: { type: 'string', minLength: 1, maxLength: 100 },
            outcome: { type: 'string', enum: ['approved', 'denied'] },
          },
        },
      },
    },
    async (req, reply) =>
      interaction(reply, req.body.approvalId, (wf) =>
        deps.client.workflow.getHandle(wf).executeUpdate(decideUpdate, {
          args: [
            {
              approvalId: req.body.approvalId,
              personId: req.body.person,
              outcome: req.body.outcome,
              channel: 'api',
            },
          ],
        }),
      ),
  );

  app.post<{ Body: { pageId: string; person: string } }>(
    '/v1/acks',
    {
      preHandler: authenticate,
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['pageId', 'person'],
          properties: {
            pageId: { type: 'string', minLength: 1, maxLength: 600 },
            person: { type: 'string', minLength: 1, maxLength: 100 },
          },
        },
      },
    },
    async (req, reply) =>
      interaction(reply, req.body.pageId, (wf) =>
        deps.client.workflow.getHandle(wf).executeUpdate(ackUpdate, {
          args: [{ pageId: req.body.pageId, personId: req.body.person, channel: 'api' }],
        }),
      ),
  );

  for (const plugin of deps.plugins ?? []) await app.register(plugin);
  return app;
}
