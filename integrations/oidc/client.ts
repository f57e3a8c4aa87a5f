// OpenID Connect sign-in for the console: authorization code flow with PKCE, state and nonce, through
// openid-client (certified). Works with Entra ID and any OIDC provider. The client authenticates with
// a secret, or with a certificate (private_key_jwt; Entra ID wants the certificate's thumbprint in the
// assertion's `x5t#S256` header). The provider's metadata is discovered on first use and kept; a
// provider that cannot be reached fails the sign-in with a clear message, never the server's start.
import { createHash, createPrivateKey, X509Certificate, webcrypto } from 'node:crypto';
import * as oidc from 'openid-client';

export interface OidcSettings {
  /** The issuer URL (Entra ID: https://login.microsoftonline.com/<tenant-id>/v2.0). */
  issuer: string;
  clientId: string;
  /** Client secret, or… */
  clientSecret?: string;
  /** …a certificate and its private key (PEM), for private_key_jwt. */
  clientCertificate?: { certPem: string; keyPem: string };
  /** The console's callback, registered at the provider: <public URL>/console/auth/callback. */
  redirectUri: string;
  scopes: string;
  /** Discovery and token requests time out after this long (seconds). */
  timeoutSeconds?: number;
}

/** What the browser carries from the start of a sign-in to its callback (in a signed cookie). */
export interface OidcTransaction {
  state: string;
  nonce: string;
  verifier: string;
}

export class OidcError extends Error {
  override name = 'OidcError';
}

/** Plain http is accepted only for a provider on this machine (tests, a local provider). */
export function isLoopback(url: URL): boolean {
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

async function certificateAuth(c: { certPem: string; keyPem: string }): Promise<oidc.ClientAuth> {
  const der = new X509Certificate(c.certPem).raw;
  const pkcs8 = createPrivateKey(c.keyPem).export({ format: 'der', type: 'pkcs8' });
  const key = await webcrypto.subtle.importKey(
    'pkcs8',
    pkcs8,
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const x5tS256 = createHash('sha256').update(der).digest('base64url');
  return oidc.PrivateKeyJwt(key as Parameters<typeof oidc.PrivateKeyJwt>[0], {
    [oidc.modifyAssertion]: (header) => {
      // Entra ID identifies the credential by thumbprint (x5t#S256; x5t is SHA-1 for older tenants).
      header['x5t#S256'] = x5tS256;
      header.x5t = createHash('sha1').update(der).digest('base64url');
      header.kid = x5tS256;
    },
  });
}

export class OidcClient {
  private config?: Promise<oidc.Configuration>;

  constructor(private readonly s: OidcSettings) {
    if (!s.clientSecret && !s.clientCertificate)
      throw new OidcError('OIDC needs a client secret or a client certificate');
  }

  get issuer(): string {
    return this.s.issuer;
  }

  private configuration(): Promise<oidc.Configuration> {
    this.config ??= (async () => {
      const issuer = new URL(this.s.issuer);
      const auth = this.s.clientCertificate
        ? await certificateAuth(this.s.clientCertificate)
        : oidc.ClientSecretPost(this.s.clientSecret as string);
      return oidc.discovery(issuer, this.s.clientId, undefined, auth, {
        timeout: this.s.timeoutSeconds ?? 10,
        execute: isLoopback(issuer) ? [oidc.allowInsecureRequests] : [],
      });
    })();
    // A failed discovery is tried again at the next sign-in rather than remembered.
    this.config.catch(() => (this.config = undefined));
    return this.config;
  }

  /** Where to send the browser, and what to keep until it comes back. */
  async begin(): Promise<{ url: string; tx: OidcTransaction }> {
    const config = await this.configuration().catch((err: Error) => {
      throw new OidcError(`the sign-in provider ${this.s.issuer} could not be reached: ${err.message}`);
    });
    const tx: OidcTransaction = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.s.redirectUri,
      scope: this.s.scopes,
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(tx.verifier),
      code_challenge_method: 'S256',
      state: tx.state,
      nonce: tx.nonce,
    });
    return { url: url.href, tx };
  }

  /**
   * The callback: exchanges the code (checking state, PKCE and the ID token's signature, issuer,
   * audience, expiry and nonce) and answers the ID token's claims.
   */
  async finish(callbackUrl: URL, tx: OidcTransaction): Promise<Record<string, unknown>> {
    const config = await this.configuration();
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: tx.verifier,
        expectedState: tx.state,
        expectedNonce: tx.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new OidcError('the provider returned no ID token');
      return { ...claims };
    } catch (err) {
      if (err instanceof OidcError) throw err;
      const e = err as { error?: string; error_description?: string; message?: string };
      throw new OidcError(
        e.error
          ? `${e.error}${e.error_description ? `: ${e.error_description}` : ''}`
          : (e.message ?? String(err)),
      );
    }
  }
}
