// Transport signatures of inbound interactions: Slack v0 (HMAC-SHA256) and Twilio (HMAC-SHA1).
// Both compare in constant time on the exact bytes the sender signed (reference/channels.md §1.3, §2.3).
import { createHmac, timingSafeEqual } from 'node:crypto';

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export type SlackVerify = { ok: true } | { ok: false; reason: string };

/** Slack allows 5 minutes of clock skew; we apply it both ways (Bolt only checks the past). */
export const SLACK_TOLERANCE_SEC = 300;

export function slackSignature(signingSecret: string, timestamp: string, rawBody: string): string {
  return 'v0=' + createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex');
}

export function verifySlackRequest(opts: {
  signingSecret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: string;
  nowSec: number;
}): SlackVerify {
  const { signingSecret, timestamp, signature, rawBody, nowSec } = opts;
  if (!signingSecret) return { ok: false, reason: 'Slack signing secret is not configured' };
  if (!timestamp || !signature)
    return { ok: false, reason: 'missing X-Slack-Request-Timestamp or X-Slack-Signature' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed X-Slack-Request-Timestamp' };
  if (Math.abs(nowSec - Number(timestamp)) > SLACK_TOLERANCE_SEC) {
    return { ok: false, reason: 'stale request: X-Slack-Request-Timestamp is more than 5 minutes from now' };
  }
  if (!signature.startsWith('v0=')) return { ok: false, reason: 'unsupported signature version' };
  if (!safeEqual(signature, slackSignature(signingSecret, timestamp, rawBody))) {
    return { ok: false, reason: 'invalid X-Slack-Signature' };
  }
  return { ok: true };
}

export type FormParams = Record<string, string | string[]>;

/** Twilio's signature: base64(HMAC-SHA1(authToken, url + sorted(name + value)…)). */
export function twilioSignature(authToken: string, url: string, params: FormParams): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    if (Array.isArray(value)) {
      for (const v of [...new Set(value)].sort()) data += name + v;
    } else {
      data += name + value;
    }
  }
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

/** The URL with and without its default port: Twilio signs either form (twilio-node webhooks.ts). */
function urlVariants(url: string): string[] {
  const variants = new Set([url]);
  try {
    // URL drops a default port (":443" for https), so `u.port` is set only for another port.
    const u = new URL(url);
    const dflt = u.protocol === 'https:' ? '443' : u.protocol === 'http:' ? '80' : '';
    if (u.port) {
      u.port = '';
      variants.add(u.toString());
    } else {
      variants.add(u.toString());
      if (dflt) variants.add(`${u.protocol}//${u.hostname}:${dflt}${u.pathname}${u.search}`);
    }
  } catch {
    // Not a URL: only the exact string can match.
  }
  return [...variants];
}

export function verifyTwilioRequest(
  authToken: string,
  signature: string | undefined,
  url: string,
  params: FormParams,
): boolean {
  if (!authToken || !signature) return false;
  return urlVariants(url).some((u) => safeEqual(signature, twilioSignature(authToken, u, params)));
}

/** application/x-www-form-urlencoded → params; repeated keys become arrays (as Twilio signs them). */
export function parseForm(raw: string): FormParams {
  const out: FormParams = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else out[k] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}
