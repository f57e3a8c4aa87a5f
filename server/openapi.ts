// The OpenAPI 3.1 document, GENERATED from the route schemas by @fastify/swagger and served at
// /openapi.json. This module holds what is shared by the routes' schemas: the document's header and
// security schemes, error responses, and the request bodies derived from the schemas that check them
// (the detection's from core/detection.ts's field table, through intake's zod schema).
import type { FastifySchema } from 'fastify';
import { z } from 'zod';
import { defenderAlertSchema } from '../integrations/defender/alert-schema';
import { detectionSchema } from '../intake/detection-schema';
import { redCanarySchema } from '../intake/formats/redcanary';

export const OPENAPI_DOCUMENT = {
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
  },
} as const;

export const BEARER = [{ bearer: [] }];

const ERROR = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;

const STATUS_TEXT: Record<number, string> = {
  400: 'Malformed JSON, a wrong schema (every invalid field is named), or a bad filter',
  401: 'Missing or invalid bearer token or signature',
  404: 'No such run',
  409: 'Refused by the run: not an allowed approver, not pending, or already decided',
  413: 'Body larger than 1 MiB',
  422: 'Some files failed to load; they keep serving their previous version',
  503: 'Not ready, or Temporal did not answer in time (Retry-After says when to retry; nothing was recorded)',
};

/** Documented error responses: `{error, message}` with what each status means here. */
export function errors<C extends number>(
  ...codes: C[]
): Record<C, { description: string; content: unknown }> {
  return Object.fromEntries(
    codes.map((c) => [
      String(c),
      { description: STATUS_TEXT[c], content: { 'application/json': { schema: ERROR } } },
    ]),
  ) as Record<C, { description: string; content: unknown }>;
}

/** A documented response without a body schema. */
export function described(description: string): { description: string } {
  return { description };
}

/** A request schema derived from the zod schema that checks it (one fact, two uses). */
function fromZod(title: string, schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return { title, ...rest };
}

/** The bodies POST /v1/detections accepts (checked by intake/formats, not by the route). */
export const DETECTION_BODY = {
  oneOf: [
    fromZod('Normalized detection (spec §5; detected_at defaults to the time of receipt)', detectionSchema),
    fromZod('Defender alert (the fields Nightshift reads; others are ignored)', defenderAlertSchema),
    fromZod('Red Canary detection (API v3; bare or in its {data} envelope)', redCanarySchema),
  ],
};

/**
 * Route options for a schema that DOCUMENTS requests the handler checks itself (with its own, more
 * precise errors): Fastify does not validate them.
 */
export function documentedOnly(schema: FastifySchema): {
  schema: FastifySchema;
  validatorCompiler: () => () => true;
} {
  return { schema, validatorCompiler: () => () => true };
}
