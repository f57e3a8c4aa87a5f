// Is Defender's login working? Asked once at start (a bad secret refuses to start, with the reason) and
// by /readyz (a readiness check: null when a token can be had, else why not). A token request goes to
// the login host, not the Defender API, so these checks take nothing from the API quota; msal's cache
// answers them while a token is valid.
import type { DefenderClient } from './client';
import { DefenderAuthError } from './errors';

export interface DefenderAuthStatus {
  ok: boolean;
  /** The login host refused our credentials, app or tenant: asking again will not help. */
  permanent: boolean;
  /** Why no token, when !ok. */
  reason?: string;
}

/** Asks for a token of the MDE scope. */
export async function checkDefenderAuth(client: DefenderClient): Promise<DefenderAuthStatus> {
  try {
    await client.tokens.acquire(client.cfg.scope);
    return { ok: true, permanent: false };
  } catch (err) {
    const permanent = err instanceof DefenderAuthError && !err.retryable;
    const reason = err instanceof Error ? err.message : String(err);
    return { ok: false, permanent, reason };
  }
}

/** The start-up line of the banner, or a refusal to start (`refusal`) for a credential the login host rejects. */
export async function defenderStartupCheck(
  client: DefenderClient,
): Promise<{ line: string; refusal?: string }> {
  const s = await checkDefenderAuth(client);
  if (s.ok) return { line: 'Defender: live (token ok)' };
  const credential =
    client.cfg.credential.kind === 'secret'
      ? 'DEFENDER_CLIENT_SECRET'
      : 'DEFENDER_CERT_PATH/DEFENDER_CERT_THUMBPRINT';
  if (s.permanent) {
    return {
      line: 'Defender: live (token refused)',
      refusal: `Defender: the login host refused the app's credentials: ${s.reason} — check DEFENDER_TENANT_ID, DEFENDER_CLIENT_ID and ${credential}.`,
    };
  }
  // The login host is briefly unavailable: start anyway; Defender steps retry until it answers.
  return { line: `Defender: live (no token yet, retrying: ${s.reason})` };
}

export interface ReadinessCheck {
  name: string;
  /** null when ready, else the reason. */
  check(): Promise<string | null>;
}

/**
 * /readyz's Defender check. A failure is remembered for `holdMs`, so a readiness probe every few seconds
 * does not turn into a request to the login host every few seconds while it is down.
 */
export function defenderAuthReadiness(
  client: DefenderClient,
  opts: { holdMs?: number; now?: () => number } = {},
): ReadinessCheck {
  const holdMs = opts.holdMs ?? 15_000;
  const now = opts.now ?? Date.now;
  let failure: { reason: string; until: number } | undefined;
  return {
    name: 'defender',
    async check() {
      if (failure && now() < failure.until) return failure.reason;
      const s = await checkDefenderAuth(client);
      if (s.ok) {
        failure = undefined;
        return null;
      }
      const reason = `no Defender token: ${s.reason ?? 'unknown'}`;
      failure = { reason, until: now() + holdMs };
      return reason;
    },
  };
}
