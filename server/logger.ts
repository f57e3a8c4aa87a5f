// Structured JSON logs (pino) with secrets and tokens redacted.
import pino, { type Logger } from 'pino';

/** Paths never written to logs. */
export const REDACT = [
  'req.headers.authorization',
  'req.headers["x-slack-signature"]',
  'req.headers["x-twilio-signature"]',
  'req.headers["x-nightshift-signature"]',
  'req.headers.cookie',
  '*.token',
  '*.secret',
  '*.password',
  '*.clientSecret',
  '*.authToken',
  '*.apiKey',
];

/** The URL with secret-bearing query parameters replaced (signed link and voice tokens travel there). */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:t|token|sig|signature|code)=)[^&]*/gi, '$1[redacted]');
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: {
        req: (req: { method?: string; url?: string; ip?: string }) => ({
          method: req.method,
          url: redactUrl(req.url ?? ''),
          remoteAddress: req.ip,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    destination,
  );
}
