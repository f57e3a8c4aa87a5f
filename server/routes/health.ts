// Liveness, readiness (Temporal reachable, a worker polling, nightshift.yaml loaded, and any extra
// checks such as Defender's login, all within one time bound), Prometheus metrics, the OpenAPI document.
import type { FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import type { PlaybookRegistry } from '../../intake/registry';
import type { Metrics } from '../../platform/metrics';
import { described, errors } from '../openapi';
import { READINESS_DEADLINE_MS, isTemporalUnavailable, within } from '../temporal-deadline';

export interface HealthDeps {
  client: Client;
  registry: PlaybookRegistry;
  namespace: string;
  taskQueue: string;
  metrics: Metrics;
  /** More checks: each resolves null when all is well, else the reason it is not. */
  readinessChecks: Array<{ name: string; check: () => Promise<string | null> }>;
}

export function healthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  app.get(
    '/healthz',
    { schema: { summary: 'Liveness', response: { 200: described('The process is up') } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: Temporal reachable, a worker polling, nightshift.yaml loaded',
        response: { 200: described('Ready'), ...errors(503) },
      },
    },
    async (_req, reply) => {
      const checks: Record<string, string> = {};
      const late = `no answer within ${READINESS_DEADLINE_MS / 1000} s`;
      const temporal = async (): Promise<void> => {
        try {
          await deps.client.withDeadline(Date.now() + READINESS_DEADLINE_MS, async () => {
            await deps.client.workflowService.getSystemInfo({});
            checks.temporal = 'ok';
            const tq = await deps.client.workflowService.describeTaskQueue({
              namespace: deps.namespace,
              taskQueue: { name: deps.taskQueue },
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
      const extra = deps.readinessChecks.map(async ({ name, check }) => {
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
    },
  );

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics', response: { 200: described('text/plain exposition') } } },
    async (_req, reply) =>
      reply
        .header('content-type', deps.metrics.registry.contentType)
        .send(await deps.metrics.registry.metrics()),
  );

  app.get(
    '/openapi.json',
    { schema: { summary: 'This document', response: { 200: described('OpenAPI 3.1') } } },
    async () => app.swagger(),
  );
}
