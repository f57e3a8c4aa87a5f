// App-only tokens through msal-node (client credentials, reference §2). msal caches each scope's token
// and renews it before expiry; `forceRefresh` skips the cache after a 401 (revoked or clock-skewed token).
// Failed answers of the login host are classified by login.ts: transient ones are retried like any
// transient error (and the retry really asks the login host again); only the login host's verdict on our
// credentials, app or tenant is permanent.
import {
  ClientConfigurationError,
  ConfidentialClientApplication,
  LogLevel,
  type Configuration,
} from '@azure/msal-node';
import type { Dispatcher } from 'undici';
import type { DefenderLiveConfig } from './config';
import { DefenderAuthError } from './errors';
import { LoginHostError, LoginNetworkModule } from './login';

export interface AccessToken {
  accessToken: string;
  /** From msal's cache rather than a request to the login host just now. */
  fromCache: boolean;
}

export interface TokenSource {
  acquire(scope: string, opts?: { forceRefresh?: boolean }): Promise<AccessToken>;
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
  private readonly network: LoginNetworkModule;
  private readonly redact: (s: string) => string;
  /** Token requests made to the login host (not cache hits); for diagnostics and tests. */
  requests = 0;

  constructor(cfg: DefenderLiveConfig, dispatcher: Dispatcher) {
    this.redact = redactor(cfg);
    this.network = new LoginNetworkModule(dispatcher);
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
        networkClient: this.network,
        loggerOptions: {
          logLevel: LogLevel.Error,
          piiLoggingEnabled: false,
          loggerCallback: () => undefined,
        },
      },
    });
  }

  async acquire(scope: string, opts: { forceRefresh?: boolean } = {}): Promise<AccessToken> {
    try {
      const result = await this.app.acquireTokenByClientCredential({
        scopes: [scope],
        skipCache: opts.forceRefresh === true,
      });
      if (!result?.accessToken)
        throw new DefenderAuthError(`no access token returned for scope ${scope}`, true);
      if (!result.fromCache) this.requests += 1;
      return { accessToken: result.accessToken, fromCache: result.fromCache };
    } catch (err) {
      if (err instanceof DefenderAuthError) throw err;
      const fail = (detail: string, retryable: boolean) =>
        new DefenderAuthError(
          `token request failed for scope ${scope} (${this.redact(detail).slice(0, 400)})`,
          retryable,
        );
      if (err instanceof LoginHostError) throw fail(err.detail, err.transient);
      // msal swallows failed metadata reads and reports "could not resolve endpoints": say why.
      const metadata = this.network.lastMetadataFailure;
      const code = (err as { errorCode?: string }).errorCode ?? '';
      if (metadata && (code === 'endpoints_resolution_error' || code === 'openid_config_error')) {
        throw fail(`reading the login host's metadata: ${metadata.detail}`, metadata.transient);
      }
      const e = err as { errorCode?: string; errorMessage?: string; message?: string };
      const detail = `${e.errorCode ?? 'error'}: ${(e.errorMessage ?? e.message ?? String(err)).split('\n')[0]}`;
      // A configuration msal refuses (a malformed authority, an unusable key) stays wrong; anything
      // else of msal's own is retried, and the retry asks the login host again.
      throw fail(detail, !(err instanceof ClientConfigurationError));
    }
  }
}
