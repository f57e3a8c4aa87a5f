// The HTTP server: Fastify with route plugins (server/routes/: health, detections, runs, answers,
// playbooks, schemas; server/interactions/: Slack, Twilio, signed links) behind bearer or signature
// authentication (auth.ts) and one error policy (errors.ts). Every route has a schema, from which
// @fastify/swagger generates the OpenAPI document (openapi.ts); the schemas document responses, they
// do not filter them.
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import swagger from '@fastify/swagger';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { TASK_QUEUE } from '../core/queues';
import type { PlaybookRegistry } from '../intake/registry';
import { createMetrics, type Metrics } from '../platform/metrics';
import { createAuth } from './auth';
import { errorHandlers, MAX_BODY_BYTES } from './errors';
import { OPENAPI_DOCUMENT } from './openapi';
import { RequestLog } from './request-log';
import { answerRoutes } from './routes/answers';
import { detectionRoutes } from './routes/detections';
import { healthRoutes } from './routes/health';
import { playbookRoutes } from './routes/playbooks';
import { runRoutes } from './routes/runs';
import { schemaRoutes } from './routes/schemas';
import { REQUEST_DEADLINE_MS } from './temporal-deadline';

export { MAX_BODY_BYTES };

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

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
  }
  interface FastifyInstance {
    nightshiftRoutes: Array<{ method: string; url: string; schema?: unknown }>;
  }
}

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new RequestLog(),
    bodyLimit: MAX_BODY_BYTES,
  });
  // Every route, for the tests that every one is documented and secret-free in logs.
  const routes: Array<{ method: string; url: string; schema?: unknown }> = [];
  app.decorate('nightshiftRoutes', routes);
  app.addHook('onRoute', (r) => {
    for (const method of ([] as string[]).concat(r.method))
      routes.push({ method, url: r.url, schema: r.schema });
    // Every handler (plugins' included) waits on Temporal for a bounded time; a handler that needs
    // another bound sets its own with client.withDeadline inside.
    const handler = r.handler;
    r.handler = function (this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
      return deps.client.withDeadline(Date.now() + REQUEST_DEADLINE_MS, async () =>
        handler.call(this, req, reply),
      );
    };
  });
  await app.register(swagger, { openapi: OPENAPI_DOCUMENT });
  // Responses are JSON as the handlers make them: the response schemas are documentation.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
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

  errorHandlers(app, metrics);
  const auth = createAuth(deps.apiTokens, deps.webhookSecrets, metrics);
  const { client, registry } = deps;
  healthRoutes(app, {
    client,
    registry,
    namespace: deps.namespace,
    taskQueue,
    metrics,
    readinessChecks: deps.readinessChecks ?? [],
  });
  detectionRoutes(app, { client, registry, taskQueue, metrics, auth });
  playbookRoutes(app, { registry, auth });
  runRoutes(app, { client, auth });
  answerRoutes(app, { client, auth });
  schemaRoutes(app);
  for (const plugin of deps.plugins ?? []) await app.register(plugin);
  return app;
}
