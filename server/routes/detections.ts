// POST /v1/detections: a detection in any accepted format → one run per matching playbook × group key,
// started or attached (intake/).
import type { FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import { DETECTION_FORMATS, parseAnyDetection, type DetectionFormat } from '../../intake/formats';
import type { PlaybookRegistry } from '../../intake/registry';
import { startOrAttach } from '../../intake/start-or-attach';
import type { Metrics } from '../../platform/metrics';
import type { Auth } from '../auth';
import { DETECTION_BODY, documentedOnly, errors } from '../openapi';

export interface DetectionDeps {
  client: Client;
  registry: PlaybookRegistry;
  taskQueue: string;
  metrics: Metrics;
  auth: Auth;
}

export function detectionRoutes(app: FastifyInstance, deps: DetectionDeps): void {
  const { metrics } = deps;
  app.post<{ Querystring: { format?: string } }>(
    '/v1/detections',
    {
      preHandler: deps.auth.authenticateIntake,
      // Checked by intake/formats (every invalid field named), so only documented here.
      ...documentedOnly({
        summary: 'Submit a detection: starts or attaches one run per matching playbook × group key',
        description:
          'Accepts a normalized detection (spec §5), a Microsoft Defender for Endpoint alert as the API returns it, ' +
          'or a Red Canary detection (API v3). The format is recognised by shape or forced with ?format=. ' +
          'Idempotent: the same detection again returns the same runs with result "duplicate", as the run itself ' +
          'records it (also under racing re-deliveries and after a restart). 503 with Retry-After when Temporal ' +
          'does not answer within 5 s: nothing was acknowledged, send it again.',
        security: [{ bearer: [] }, { signature: [] }],
        querystring: {
          type: 'object',
          properties: { format: { type: 'string', enum: [...DETECTION_FORMATS] } },
        },
        body: DETECTION_BODY,
        response: {
          202: {
            description: 'Runs started, attached or recognised as duplicates',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    format: { type: 'string' },
                    detectionId: { type: 'string' },
                    runs: { type: 'array', items: { type: 'object' } },
                    errors: { type: 'array', items: { type: 'object' } },
                  },
                },
              },
            },
          },
          ...errors(400, 401, 413, 503),
        },
      }),
    },
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
      const result = await startOrAttach(deps.client, deps.registry.current, parsed.detection, {
        taskQueue: deps.taskQueue,
      });
      for (const r of result.runs) metrics.runsStarted.inc({ playbook: r.playbook, result: r.result });
      return reply.code(202).send({ format: parsed.format, ...result });
    },
  );
}
