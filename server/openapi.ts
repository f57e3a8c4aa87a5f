// The OpenAPI 3.1 document of the HTTP API, served at /openapi.json. A test checks that every route
// the server registers is described here, so the document cannot drift from the code; the detection
// schemas are derived from the zod schemas that check them.
import { z } from 'zod';
import { defenderAlertSchema } from '../integrations/defender/alert-schema';
import { detectionSchema } from '../intake/formats/generic';
import { redCanarySchema } from '../intake/formats/redcanary';
const error = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;

const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [
      String(c),
      { description: STATUS_TEXT[c], content: { 'application/json': { schema: error } } },
    ]),
  );

const STATUS_TEXT: Record<number, string> = {
  400: 'Malformed JSON, a wrong schema (every invalid field is named), or a bad filter',
  401: 'Missing or invalid bearer token or signature',
  404: 'No such run',
  409: 'Refused by the run: not an allowed approver, not pending, or already decided',
  413: 'Body larger than 1 MiB',
  422: 'Some files failed to load; they keep serving their previous version',
  503: 'Not ready, or Temporal did not answer in time (Retry-After says when to retry; nothing was recorded)',
};

/** A request schema derived from the zod schema that checks it (one fact, two uses). */
function fromZod(title: string, schema: z.ZodType) {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return { title, ...rest };
}

const detection = fromZod(
  'Normalized detection (spec §5; detected_at defaults to the time of receipt)',
  detectionSchema,
);

const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const bearer = [{ bearer: [] }];

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Nightshift',
    version: '1',
    description: 'Detection intake, playbook runs and approvals of the Nightshift SOAR server.',
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'A token of NIGHTSHIFT_API_TOKENS' },
      signature: {
        type: 'apiKey',
        in: 'header',
        name: 'X-Nightshift-Signature',
        description: 't=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>, within 5 minutes',
      },
    },
    schemas: { Detection: detection, Error: error },
  },
  paths: {
    '/healthz': { get: { summary: 'Liveness', responses: { 200: { description: 'The process is up' } } } },
    '/readyz': {
      get: {
        summary: 'Readiness: Temporal reachable, a worker polling, nightshift.yaml loaded',
        responses: { 200: { description: 'Ready' }, ...errors(503) },
      },
    },
    '/metrics': {
      get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text/plain exposition' } } },
    },
    '/openapi.json': {
      get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } },
    },
    '/v1/detections': {
      post: {
        summary: 'Submit a detection: starts or attaches one run per matching playbook × group key',
        description:
          'Accepts a normalized detection (spec §5), a Microsoft Defender for Endpoint alert as the API returns it, ' +
          'or a Red Canary detection (API v3). The format is recognised by shape or forced with ?format=. ' +
          'Idempotent: the same detection again returns the same runs with result "duplicate", as the run itself ' +
          'records it (also under racing re-deliveries and after a restart). 503 with Retry-After when Temporal ' +
          'does not answer within 5 s: nothing was acknowledged, send it again.',
        security: [{ bearer: [] }, { signature: [] }],
        parameters: [{ name: 'format', in: 'query', schema: { enum: ['generic', 'defender', 'redcanary'] } }],
        requestBody: {
          required: true,
          ...json({
            oneOf: [
              detection,
              fromZod(
                'Defender alert (the fields Nightshift reads; others are ignored)',
                defenderAlertSchema,
              ),
              fromZod('Red Canary detection (API v3; bare or in its {data} envelope)', redCanarySchema),
            ],
          }),
        },
        responses: {
          202: {
            description: 'Runs started, attached or recognised as duplicates',
            ...json({
              type: 'object',
              properties: {
                format: { type: 'string' },
                detectionId: { type: 'string' },
                runs: { type: 'array', items: { type: 'object' } },
                errors: { type: 'array', items: { type: 'object' } },
              },
            }),
          },
          ...errors(400, 401, 413, 503),
        },
      },
    },
    '/v1/playbooks/reload': {
      post: {
        summary: 'Reload nightshift.yaml and playbooks; a bad file keeps serving its previous version',
        security: bearer,
        responses: { 200: { description: 'All files loaded' }, ...errors(401, 422) },
      },
    },
    '/v1/runs': {
      get: {
        summary: 'List runs',
        security: bearer,
        parameters: ['playbook', 'detection', 'incident', 'device', 'status', 'waiting', 'limit'].map(
          (name) => ({
            name,
            in: 'query',
            schema: { type: 'string' },
          }),
        ),
        responses: { 200: { description: 'Runs, newest first' }, ...errors(400, 401, 503) },
      },
    },
    '/v1/runs/{id}': {
      get: {
        summary:
          "A run's live state: current step (status running, with what it waits for), pending approvals and pages, step results, effects",
        security: bearer,
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: { description: 'The run' }, ...errors(401, 404, 503) },
      },
    },
    '/v1/approvals': {
      post: {
        summary: 'Decide a pending approval on behalf of a person (channel "api")',
        security: bearer,
        requestBody: {
          required: true,
          ...json({
            type: 'object',
            required: ['approvalId', 'person', 'outcome'],
            properties: {
              approvalId: { type: 'string' },
              person: { type: 'string' },
              outcome: { enum: ['approved', 'denied'] },
            },
          }),
        },
        responses: { 200: { description: 'The decision in force' }, ...errors(400, 401, 404, 409, 503) },
      },
    },
    '/v1/acks': {
      post: {
        summary: 'Acknowledge a pending page on behalf of a person (channel "api")',
        security: bearer,
        requestBody: {
          required: true,
          ...json({
            type: 'object',
            required: ['pageId', 'person'],
            properties: { pageId: { type: 'string' }, person: { type: 'string' } },
          }),
        },
        responses: {
          200: { description: 'The acknowledgement in force' },
          ...errors(400, 401, 404, 409, 503),
        },
      },
    },
    '/v1/slack/interactions': {
      post: {
        summary: 'Slack interactivity (Approve/Deny buttons); verified with the Slack signing secret',
        responses: { 200: { description: 'Acknowledged' }, ...errors(401) },
      },
    },
    '/v1/twilio/sms': {
      post: {
        summary: 'Inbound SMS (YES/NO/ACK <code>); verified with X-Twilio-Signature',
        responses: { 200: { description: 'TwiML reply' }, 403: { description: 'Bad signature' } },
      },
    },
    '/v1/twilio/voice': {
      post: {
        summary: 'Voice call keypress callback; verified with X-Twilio-Signature and a signed token',
        responses: { 200: { description: 'TwiML' }, 403: { description: 'Bad signature or token' } },
      },
    },
    '/v1/links': {
      get: {
        summary: 'Signed approval link: a confirmation page only (mail scanners open links)',
        responses: { 200: { description: 'HTML' } },
      },
      post: {
        summary: 'Signed approval link: the decision',
        responses: { 200: { description: 'HTML' }, 409: { description: 'Refused' } },
      },
    },
  },
} as const;
