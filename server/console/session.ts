// Console sessions: a signed, HttpOnly, SameSite=Lax cookie holding who is signed in and until when.
// Stateless, so every server replica accepts it (the key is derived from the link secret they share);
// sign-out also remembers the session id until it expires, so a copied cookie stops working on this
// replica at once (on others at its expiry — documented in docs/console.md).
import { createHmac, randomBytes } from 'node:crypto';

export interface SessionClaims {
  v: 1;
  /** Random session id: binds the anti-CSRF tokens, and is what sign-out revokes. */
  sid: string;
  /** Person id of nightshift.yaml. */
  sub: string;
  via: 'oidc' | 'link';
  /** Issued and expiry, unix ms. */
  iat: number;
  exp: number;
}

/** Purpose-bound keys from the link secret: a session key can never verify a link, nor the reverse. */
export function deriveKey(linkSecret: string, purpose: 'session' | 'csrf'): string {
  return createHmac('sha256', linkSecret).update(`nightshift.console.${purpose}.v1`).digest('base64url');
}

export const SESSION_COOKIE = 'nightshift_session';
/** With https the cookie is `__Host-` prefixed: Secure, host-only, Path=/ — browsers enforce it. */
export const SECURE_SESSION_COOKIE = '__Host-nightshift_session';

export function sessionCookieName(secure: boolean): string {
  return secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

/** A new session's claims. */
export function newSession(
  sub: string,
  via: SessionClaims['via'],
  ttlMs: number,
  now: number,
): SessionClaims {
  return { v: 1, sid: randomBytes(18).toString('base64url'), sub, via, iat: now, exp: now + ttlMs };
}

export function encodeSession(c: SessionClaims): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

/** Claims of a cookie value whose signature was already checked; null if malformed or expired. */
export function decodeSession(value: string, now: number): SessionClaims | null {
  if (value.length > 2048) return null;
  let c: Partial<SessionClaims>;
  try {
    c = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<SessionClaims>;
  } catch {
    return null;
  }
  if (
    !c ||
    c.v !== 1 ||
    typeof c.sid !== 'string' ||
    typeof c.sub !== 'string' ||
    (c.via !== 'oidc' && c.via !== 'link') ||
    typeof c.iat !== 'number' ||
    typeof c.exp !== 'number'
  )
    return null;
  if (now >= c.exp) return null;
  return c as SessionClaims;
}

/**
 * Ids remembered until their expiry: signed-out sessions, and one-time sign-in links already used.
 * Bounded: past `max` entries the ones expiring first are forgotten (they are the least useful).
 */
export class ExpiringSet {
  private readonly until = new Map<string, number>();
  constructor(private readonly max = 100_000) {}

  add(id: string, exp: number, now: number): void {
    this.prune(now);
    if (this.until.size >= this.max) {
      const first = [...this.until.entries()].sort((a, b) => a[1] - b[1])[0];
      if (first) this.until.delete(first[0]);
    }
    this.until.set(id, exp);
  }

  has(id: string, now: number): boolean {
    const exp = this.until.get(id);
    return exp !== undefined && exp > now;
  }

  private prune(now: number): void {
    for (const [id, exp] of this.until) if (exp <= now) this.until.delete(id);
  }
}

/** Where to go after signing in: only a path of the console itself (no open redirect). */
export function safeReturnTo(raw: unknown, fallback: string): string {
  if (typeof raw !== 'string' || raw.length > 1000) return fallback;
  if (!/^\/console(\/|\?|$)/.test(raw) || raw.startsWith('//') || raw.includes('\\')) return fallback;
  return raw;
}
