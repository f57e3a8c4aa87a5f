// How the API answers what went wrong: Temporal not answering in time is a 503 with Retry-After
// (nothing was acknowledged), a bad request names what is wrong, an internal error says no more than
// that, and an unknown route names the path without echoing the query.
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../platform/metrics';
import { RETRY_AFTER_SECONDS, isTemporalUnavailable } from './temporal-deadline';

export const MAX_BODY_BYTES = 1024 * 1024;

export function errorHandlers(app: FastifyInstance, metrics: Metrics): void {
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
}
