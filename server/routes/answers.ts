// Approvals and acknowledgements for authenticated API clients (a ticketing integration, a console):
// the client names the person; the run's Update validator decides whether that person may answer.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { rootCause } from '../../core/failures';
import { workflowIdOf } from '../../core/messages';
import { ackUpdate, decideUpdate } from '../../workflows/messages';
import type { Auth } from '../auth';
import { BEARER, described, errors } from '../openapi';

/**
 * The Update id of an answer, derived from what it says: a client retrying the same answer (after a 503,
 * or a lost response) gets the first one's result, and the run records it once.
 */
function answerUpdateId(...parts: string[]): string {
  return `api:${createHash('sha256').update(parts.join('\u0000')).digest('base64url')}`;
}

export function answerRoutes(app: FastifyInstance, deps: { client: Client; auth: Auth }): void {
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
        return reply.code(409).send({ error: 'refused', message: rootCause(err) });
      }
      if (err instanceof WorkflowNotFoundError)
        return reply.code(404).send({ error: 'not_found', message: `no run ${workflowId}` });
      throw err;
    }
  };

  app.post<{ Body: { approvalId: string; person: string; outcome: 'approved' | 'denied' } }>(
    '/v1/approvals',
    {
      preHandler: deps.auth.authenticate,
      schema: {
        summary: 'Decide a pending approval on behalf of a person (channel "api")',
        description:
          'Safe to retry (after a 503 or a lost response): the same approval, person and outcome are recorded once, and a retry answers what the first did.',
        security: BEARER,
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
        response: { 200: described('The decision in force'), ...errors(400, 401, 404, 409, 503) },
      },
    },
    async (req, reply) =>
      interaction(reply, req.body.approvalId, (wf) =>
        deps.client.workflow.getHandle(wf).executeUpdate(decideUpdate, {
          updateId: answerUpdateId('decide', req.body.approvalId, req.body.person, req.body.outcome),
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
      preHandler: deps.auth.authenticate,
      schema: {
        summary: 'Acknowledge a pending page on behalf of a person (channel "api")',
        description:
          'Safe to retry (after a 503 or a lost response): the same page and person are recorded once, and a retry answers what the first did.',
        security: BEARER,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['pageId', 'person'],
          properties: {
            pageId: { type: 'string', minLength: 1, maxLength: 600 },
            person: { type: 'string', minLength: 1, maxLength: 100 },
          },
        },
        response: { 200: described('The acknowledgement in force'), ...errors(400, 401, 404, 409, 503) },
      },
    },
    async (req, reply) =>
      interaction(reply, req.body.pageId, (wf) =>
        deps.client.workflow.getHandle(wf).executeUpdate(ackUpdate, {
          updateId: answerUpdateId('ack', req.body.pageId, req.body.person),
          args: [{ pageId: req.body.pageId, personId: req.body.person, channel: 'api' }],
        }),
      ),
  );
}
