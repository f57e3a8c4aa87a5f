// GET /v1/runs (found through Temporal visibility) and GET /v1/runs/{id} (the run's live state).
import type { FastifyInstance } from 'fastify';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { PLAYBOOK_RUN_WORKFLOW } from '../../core/messages';
import { stateQuery } from '../../workflows/messages';
import type { Auth } from '../auth';
import { BEARER, described, documentedOnly, errors } from '../openapi';
import { listRuns, RUN_FILTERS, RunFilterError } from '../runs';

export function runRoutes(app: FastifyInstance, deps: { client: Client; auth: Auth }): void {
  app.get<{ Querystring: Record<string, string> }>(
    '/v1/runs',
    {
      preHandler: deps.auth.authenticate,
      // Filters are checked by runQuery (an unknown one is named), so only documented here.
      ...documentedOnly({
        summary: 'List runs',
        security: BEARER,
        querystring: {
          type: 'object',
          properties: Object.fromEntries(RUN_FILTERS.map((name) => [name, { type: 'string' }])),
        },
        response: { 200: described('Runs, newest first'), ...errors(400, 401, 503) },
      }),
    },
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

  app.get<{ Params: { id: string } }>(
    '/v1/runs/:id',
    {
      preHandler: deps.auth.authenticate,
      schema: {
        summary:
          "A run's live state: current step (status running, with what it waits for), pending approvals and pages, step results, effects",
        security: BEARER,
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        response: { 200: described('The run'), ...errors(401, 404, 503) },
      },
    },
    async (req, reply) => {
      const handle = deps.client.workflow.getHandle(req.params.id);
      try {
        const desc = await handle.describe();
        if (desc.type !== PLAYBOOK_RUN_WORKFLOW)
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
    },
  );
}
