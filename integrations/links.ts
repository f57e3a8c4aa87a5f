// Signed tokens for approval links (email, Teams) and Twilio voice callbacks.
//
// A token is `base64url(JSON claims) "." base64url(HMAC-SHA256(key, "nightshift.link.v1." + claims))`.
// It binds one interaction (approval or page), one person and one outcome, and expires. The MAC is
// checked in constant time before the claims are parsed. Single use is enforced by the workflow, not
// here: the `decide`/`ack` Update validator refuses an approval or page that is no longer pending, so a
// link replayed after a decision is refused with nothing changed, and no token table is needed.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type LinkKind = 'decide' | 'ack' | 'voice';
export type LinkOutcome = 'approved' | 'denied' | 'ack';

export interface LinkClaims {
  v: 1;
  /** decide: approval link; ack: page acknowledgement link; voice: Twilio <Gather> callback. */
  k: LinkKind;
  /** Approval or page id (`<workflowId>|<stepId>|<n>`). */
  id: string;
  /** Person id the link was sent to: the only person it may answer as. */
  sub: string;
  /** Outcome the link stands for; voice tokens carry none (the keypress decides). */
  out?: LinkOutcome;
  /** Voice: whether the call asks an approval or a page acknowledgement. */
  q?: 'approval' | 'page';
  /** Voice: the E.164 number that was called. */
  tel?: string;
  /** Channel the link was sent through (email, teams), recorded with the decision. */
  ch?: 'email' | 'teams';
  /** Expiry, unix seconds. */
  exp: number;
  /** Random id, for audit logs. */
  jti: string;
}

export type VerifyFailure = 'malformed' | 'signature' | 'expired' | 'kind';
export type VerifyResult = { ok: true; claims: LinkClaims } | { ok: false; reason: VerifyFailure };

/** Tokens longer than this are refused before any work (bounded input). */
export const MAX_TOKEN_LENGTH = 2048;
const DOMAIN = 'nightshift.link.v1.';

function mac(secret: string, claimsB64: string): Buffer {
  return createHmac('sha256', secret)
    .update(DOMAIN + claimsB64)
    .digest();
}

export function signLink(secret: string, claims: Omit<LinkClaims, 'v' | 'jti'> & { jti?: string }): string {
  if (!secret) throw new Error('NIGHTSHIFT_LINK_SECRET is not set: signed links are unavailable.');
  const full: LinkClaims = { v: 1, ...claims, jti: claims.jti ?? randomBytes(16).toString('base64url') };
  const claimsB64 = Buffer.from(JSON.stringify(full)).toString('base64url');
  return `${claimsB64}.${mac(secret, claimsB64).toString('base64url')}`;
}

export function verifyLink(secret: string, token: string, nowSec: number, kinds?: LinkKind[]): VerifyResult {
  if (!secret || typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH)
    return { ok: false, reason: 'malformed' };
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return { ok: false, reason: 'malformed' };
  const claimsB64 = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const want = mac(secret, claimsB64);
  if (given.length !== want.length || !timingSafeEqual(given, want))
    return { ok: false, reason: 'signature' };
  let claims: LinkClaims;
  try {
    claims = JSON.parse(Buffer.from(claimsB64, 'base64url').toString('utf8')) as LinkClaims;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (
    !claims ||
    claims.v !== 1 ||
    typeof claims.id !== 'string' ||
    typeof claims.sub !== 'string' ||
    typeof claims.exp !== 'number'
  ) {
    return { ok: false, reason: 'malformed' };
  }
  if (nowSec >= claims.exp) return { ok: false, reason: 'expired' };
  if (kinds && !kinds.includes(claims.k)) return { ok: false, reason: 'kind' };
  return { ok: true, claims };
}

// Tokens travel in the query string: they are longer than a router path parameter may be (Fastify's
// default maxParamLength is 100), and base64url needs no escaping there.

/** The public URL of a link page. */
export function linkUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/v1/links?t=${token}`;
}

/** The public URL of the voice keypress callback (part of what Twilio signs). */
export function voiceCallbackUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/v1/twilio/voice?t=${token}`;
}
