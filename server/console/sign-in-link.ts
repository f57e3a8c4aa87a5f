// The one-time console sign-in link of the embedded default (no OIDC configured), as Jupyter prints
// its token: `nightshift start` prints one, `nightshift sign-in` prints another. It is a signed link
// token (the link secret, kind `console`) that works once: its id is remembered as used until it
// expires. Whoever holds it already holds the machine's API token and link key.
import { signLink, verifyLink, type VerifyFailure } from '../../integrations/links';
import { PATHS } from '../../console/paths';
import type { ExpiringSet } from './session';

/** How long a printed link stays usable (once). */
export const SIGN_IN_LINK_TTL_S = 24 * 3600;

export function signInLink(
  publicUrl: string,
  secret: string,
  opts: { person?: string; nowSec: number },
): string {
  const token = signLink(secret, {
    k: 'console',
    id: 'console',
    sub: opts.person ?? '',
    exp: opts.nowSec + SIGN_IN_LINK_TTL_S,
  });
  return `${publicUrl.replace(/\/+$/, '')}${PATHS.signIn}?t=${token}`;
}

export type SignInCheck =
  { ok: true; jti: string; exp: number; person: string } | { ok: false; reason: VerifyFailure | 'used' };

export function checkSignInToken(
  secret: string,
  token: string,
  nowSec: number,
  used: ExpiringSet,
): SignInCheck {
  const v = verifyLink(secret, token, nowSec, ['console']);
  if (!v.ok) return v;
  if (v.claims.id !== 'console') return { ok: false, reason: 'kind' };
  if (used.has(v.claims.jti, nowSec * 1000)) return { ok: false, reason: 'used' };
  return { ok: true, jti: v.claims.jti, exp: v.claims.exp, person: v.claims.sub };
}

export const SIGN_IN_FAILURE: Record<VerifyFailure | 'used', string> = {
  malformed: 'This sign-in link is malformed.',
  signature: 'This sign-in link is not valid (its signature does not match).',
  expired: 'This sign-in link has expired.',
  kind: 'This is not a console sign-in link.',
  used: 'This sign-in link has already been used: each link signs in once.',
};
