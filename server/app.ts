// The HTTP server: detection intake, runs API, playbook reload, health. Routes are Fastify plugins with
// schemas; interaction endpoints (Slack, Twilio, signed links) are mounted from server/interactions.
import crypto from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { parseDetection } from './detections/generic';
import { startOrAttach } from './intake';
import type { PlaybookRegistry } from './playbooks';
import { formatDiagnostic } from '../compiler';
import { TASK_QUEUE } from '../activities/contracts';
import { stateQuery } from '../workflows/messages';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface ServerDeps {
  client: Client;
  registry: PlaybookRegistry;
  namespace: string;
  logger: Logger;
  /** Bearer tokens accepted on the API (compared in constant time). */
  apiTokens: string[];
  taskQueue?: string;
  /** Extra plugins (interaction endpoints). */
  plugins?: Array<(app: FastifyInstance) => Promise<void>>;
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

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: MAX_BODY_BYTES,
    disableRequestLogging: false,
  });
  const taskQueue = deps.taskQueue ?? TASK_QUEUE;

  const authenticate = async (req: FastifyRequest, reply: FastifyReply) => {
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    if (!m) {
      return reply
        .code(401)
        .send({ error: 'unauthorized', message: 'missing "Authorization: Bearer <token>" header' });
    }
    if (!tokenOk(m[1], deps.apiTokens)) {
      return reply.code(401).send({ error: 'unauthorized', message: 'the bearer token is not valid' });
    }
  };

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    const message =
      err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `request body is larger than ${MAX_BODY_BYTES} bytes`
        : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'Content-Type must be application/json'
          : status >= 500
            ? 'internal error'
            : err.message;
    void reply.code(status).send({ error: status >= 500 ? 'internal' : 'bad_request', message });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const checks: Record<string, string> = {};
    try {
      await deps.client.workflowService.getSystemInfo({});
      checks.temporal = 'ok';
      const tq = await deps.client.workflowService.describeTaskQueue({
        namespace: deps.namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: 1, // workflow tasks
      });
      checks.worker = (tq.pollers?.length ?? 0) > 0 ? 'ok' : 'no worker is polling the task queue';
    } catch (err) {
      checks.temporal = `unreachable: ${(err as Error).message.split('\n')[0]}`;
    }
    const ok = Object.values(checks).every((v) => v === 'ok');
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready', checks });
  });

  app.post('/v1/detections', { preHandler: authenticate }, async (req, reply) => {
    const parsed = parseDetection(req.body);
    if (!parsed.detection) {
      return reply.code(400).send({
        error: 'invalid_detection',
        message: parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; '),
        fields: parsed.errors,
      });
    }
    const result = await startOrAttach(deps.client, deps.registry.current, parsed.detection, { taskQueue });
    return reply.code(202).send(result);
  });

  app.post('/v1/playbooks/reload', { preHandler: authenticate }, async (_req, reply) => {
    const r = deps.registry.reload();
    return reply.code(r.ok ? 200 : 422).send({
      ok: r.ok,
      loaded: r.loaded,
      diagnostics: r.diagnostics.map((d) => ({ ...d, text: formatDiagnostic(d) })),
    });
  });

  app.get<{ Params: { id: string } }>('/v1/runs/:id', { preHandler: authenticate }, async (req, reply) => {
    const handle = deps.client.workflow.getHandle(req.params.id);
    try {
      const desc = await handle.describe();
      const state = await handle.query(stateQuery);
      return {
        ...state,
        workflowId: req.params.id,
        temporalStatus: desc.status.name,
        startedAt: desc.startTime,
      };
    } catch (err) {
      if ((err as Error).name === 'WorkflowNotFoundError') {
        return reply.code(404).send({ error: 'not_found', message: `no run ${req.params.id}` });
      }
      throw err;
    }
  });

  for (const plugin of deps.plugins ?? []) await app.register(plugin);
  return app;
}
