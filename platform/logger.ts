// Structured JSON logs (pino), one line per event, with secrets removed. Two layers:
//   1. known secret fields are redacted by path (headers, `*.token`, `*.secret`…);
//   2. every serialized line is scrubbed just before it is written (pino's streamWrite hook), whatever
//      logged it — Fastify's own lines, the Temporal SDK, the embedded server, an error message that
//      quotes a URL: secret query parameters, bearer/basic credentials, signatures, signed link tokens,
//      Slack tokens, and the configured secret values themselves never reach a line.
import pino, { type Logger } from 'pino';

const CENSOR = '[redacted]';

/** Fields never written to logs, at the top level of a line and one level down. */
const SECRET_FIELDS = [
  'headers.authorization',
  'headers["x-slack-signature"]',
  'headers["x-twilio-signature"]',
  'headers["x-nightshift-signature"]',
  'headers.cookie',
  'token',
  'secret',
  'password',
  'clientSecret',
  'authToken',
  'apiKey',
  'taskToken',
];
export const REDACT = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]);

/** Query parameters that carry a secret (signed links and voice tokens travel as `t`). */
const SECRET_PARAMS =
  't|token|access_token|id_token|refresh_token|sig|signature|code|key|api_key|apikey|secret|client_secret|password|auth';

/** Secrets recognisable by their shape, with what replaces them. */
const SCRUBBERS: Array<[RegExp, string]> = [
  // ?t=…&sig=… in a URL (also inside a JSON string: stop at a quote or backslash).
  [new RegExp(`([?&;](?:${SECRET_PARAMS})=)[^&;#\\s"\\\\]*`, 'gi'), `$1${CENSOR}`],
  // Authorization header values.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${CENSOR}`],
  // Signed link / voice tokens: base64url(claims).base64url(HMAC-SHA256) (integrations/links.ts).
  [/[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{43}\b/g, CENSOR],
  // Slack (v0=…) and Nightshift webhook (v1=…) signatures.
  [/\b(v[01]=)[0-9a-f]{32,}/gi, `$1${CENSOR}`],
  // Slack tokens.
  [/\bxox[a-z]-[A-Za-z0-9-]{8,}/g, CENSOR],
  [/\bxapp-[A-Za-z0-9-]{8,}/g, CENSOR],
];

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The text of a line with every secret replaced; `secrets` are exact values (as configured). */
export function scrub(line: string, secrets: readonly string[] = []): string {
  let out = line;
  for (const [re, to] of SCRUBBERS) out = out.replace(re, to);
  for (const s of secrets) {
    // As written raw and as it appears inside a JSON string.
    for (const form of new Set([s, JSON.stringify(s).slice(1, -1)])) {
      if (out.includes(form)) out = out.replace(new RegExp(escapeRegExp(form), 'g'), CENSOR);
    }
  }
  return out;
}

/** The URL with secret-bearing query parameters replaced (signed link and voice tokens travel there). */
export function redactUrl(url: string): string {
  return scrub(url);
}

/** Environment variables whose values are secrets, by name. */
const SECRET_NAME = /SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|AUTH|WEBHOOK|PRIVATE|CREDENTIAL/i;
/** Shorter values are not scrubbed by value (they would blank out ordinary words); shapes still apply. */
const MIN_SECRET_LENGTH = 8;

/**
 * The secret values of an environment: every value of a variable named like a secret (comma-separated
 * lists split), and the password of any URL with credentials (SMTP_URL=smtps://user:pass@host).
 */
export function secretValuesFromEnv(env: NodeJS.ProcessEnv): string[] {
  const out = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (SECRET_NAME.test(name)) {
      for (const v of [value, ...value.split(',')])
        if (v.trim().length >= MIN_SECRET_LENGTH) out.add(v.trim());
    }
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:([^@\s/]+)@/i.exec(value);
    if (m && m[1].length >= 4) {
      out.add(m[1]);
      try {
        out.add(decodeURIComponent(m[1]));
      } catch {
        // Not percent-encoded: the raw form is enough.
      }
    }
  }
  // Longest first, so a secret that contains another is replaced whole.
  return [...out].sort((a, b) => b.length - a.length);
}

export interface LoggerOptions {
  /** Where lines go (default: stdout). */
  destination?: pino.DestinationStream;
  /** Exact secret values to scrub from every line (see secretValuesFromEnv). */
  secrets?: readonly string[];
}

export function createLogger(level: string, opts: LoggerOptions | pino.DestinationStream = {}): Logger {
  const o: LoggerOptions = 'write' in opts ? { destination: opts as pino.DestinationStream } : opts;
  const secrets = [...(o.secrets ?? [])];
  return pino(
    {
      level,
      redact: { paths: REDACT, censor: CENSOR },
      hooks: { streamWrite: (s) => scrub(s, secrets) },
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
    o.destination,
  );
}
