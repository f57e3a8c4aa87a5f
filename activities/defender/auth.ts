// App-only tokens through msal-node (client credentials, reference §2). msal caches each scope's token
// and renews it before expiry; `forceRefresh` skips the cache after a 401 (revoked or clock-skewed token).
import { ConfidentialClientApplication, LogLevel, ServerError, type Configuration } from '@azure/msal-node';
import type { Dispatcher } from 'undici';
import type { DefenderLiveConfig } from './config';
import { DefenderAuthError } from './errors';
import { UndiciNetworkModule } from './http';

export interface TokenSource {
  token(scope: string, opts?: { forceRefresh?: boolean }): Promise<string>;
}

/** Redacts every configured secret from a message (msal errors can echo request details). */
export function redactor(cfg: DefenderLiveConfig): (s: string) => string {
  const secrets = [
    cfg.credential.kind === 'secret' ? cfg.credential.secret.reveal() : cfg.credential.privateKey.reveal(),
  ].filter((s) => s.length >= 4);
  return (s) => secrets.reduce((acc, secret) => acc.split(secret).join('[REDACTED]'), s);
}

export class MsalTokenSource implements TokenSource {
  private readonly app: ConfidentialClientApplication;
  private readonly redact: (s: string) => string;
  /** Token requests made to the login host (not cache hits); for diagnostics and tests. */
  requests = 0;

  constructor(cfg: DefenderLiveConfig, dispatcher: Dispatcher) {
    this.redact = redactor(cfg);
    const auth: Configuration['auth'] = {
      clientId: cfg.clientId,
      authority: cfg.authority,
      ...(cfg.credential.kind === 'secret'
        ? { clientSecret: cfg.credential.secret.reveal() }
        : {
            clientCertificate: {
              thumbprintSha256: cfg.credential.thumbprintSha256,
              privateKey: cfg.credential.privateKey.reveal(),
              x5c: cfg.credential.x5c,
            },
          }),
      // An overridden authority host is trusted as given: no instance discovery against the public
      // cloud; msal reads its OpenID metadata from the host itself.
      ...(cfg.customAuthorityHost ? { knownAuthorities: [cfg.customAuthorityHost] } : {}),
    };
    this.app = new ConfidentialClientApplication({
      auth,
      system: {
        networkClient: new UndiciNetworkModule(dispatcher),
        loggerOptions: {
          logLevel: LogLevel.Error,
          piiLoggingEnabled: false,
          loggerCallback: () => undefined,
        },
      },
    });
  }

  async token(scope: string, opts: { forceRefresh?: boolean } = {}): Promise<string> {
    try {
      const result = await this.app.acquireTokenByClientCredential({
        scopes: [scope],
        skipCache: opts.forceRefresh === true,
      });
      if (!result?.accessToken)
        throw new DefenderAuthError(`no access token returned for scope ${scope}`, true);
      if (!result.fromCache) this.requests += 1;
      return result.accessToken;
    } catch (err) {
      if (err instanceof DefenderAuthError) throw err;
      const e = err as { errorCode?: string; errorMessage?: string; message?: string };
      const msg = this.redact(
        `${e.errorCode ?? 'error'}: ${(e.errorMessage ?? e.message ?? String(err)).split('\n')[0]}`,
      ).slice(0, 400);
      // A ServerError is the login host rejecting us (bad secret, unknown app/tenant): retrying won't help.
      // Anything else (network, timeouts, 5xx discovery) is transient.
      const rejected =
        err instanceof ServerError && !/^(temporarily_unavailable|server_error)$/.test(e.errorCode ?? '');
      throw new DefenderAuthError(`token request failed for scope ${scope} (${msg})`, !rejected);
    }
  }
}
