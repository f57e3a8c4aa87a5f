// Who may call the API: a bearer token of NIGHTSHIFT_API_TOKENS (compared in constant time), or, for
// detection intake, a webhook signature over the raw body (X-Nightshift-Signature).
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from '../platform/metrics';
import { SIGNATURE_HEADER, verifySignature } from './signature';

export interface Auth {
  /** API routes: a bearer token. */
  authenticate(req: FastifyRequest, reply: FastifyReply): Promise<unknown>;
  /** Detection intake: a bearer token, or a webhook signature over the raw body. */
  authenticateIntake(req: FastifyRequest, reply: FastifyReply): Promise<unknown>;
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

export function createAuth(
  apiTokens: string[],
  webhookSecrets: string[] | undefined,
  metrics: Metrics,
): Auth {
  const bearer = (req: FastifyRequest): 'ok' | 'missing' | 'bad' => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m) return 'missing';
    return tokenOk(m[1], apiTokens) ? 'ok' : 'bad';
  };
  const unauthorized = (reply: FastifyReply, message: string) =>
    reply.code(401).send({ error: 'unauthorized', message });

  return {
    async authenticate(req, reply) {
      const b = bearer(req);
      if (b === 'missing') return unauthorized(reply, 'missing "Authorization: Bearer <token>" header');
      if (b === 'bad') return unauthorized(reply, 'the bearer token is not valid');
    },
    async authenticateIntake(req, reply) {
      const sig = req.headers[SIGNATURE_HEADER];
      if (typeof sig === 'string') {
        if (!webhookSecrets?.length) {
          metrics.intakeRejections.inc({ reason: 'signature' });
          return unauthorized(
            reply,
            `${SIGNATURE_HEADER} is not accepted: no NIGHTSHIFT_WEBHOOK_SECRETS configured`,
          );
        }
        const v = verifySignature(webhookSecrets, sig, req.rawBody ?? '');
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
    },
  };
}
