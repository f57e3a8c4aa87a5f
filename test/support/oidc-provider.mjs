// A local OpenID Connect provider for the browser tests (the `oidc-provider` package, certified), on
// 127.0.0.1 and a free port: never an outside host. Run as a child process (the package is ESM and
// wants its own event loop): `node test/support/oidc-provider.mjs '<json options>'`; prints
// `READY <issuer>` once listening. Its development login form accepts any login, which becomes the
// account's email (and subject); consent is granted without asking (a first-party client).
//
// Options: { clients: [{ client_id, client_secret?, jwks?, redirect_uris }], unverified?: [emails] }
import http from 'node:http';
import Provider from 'oidc-provider';

const opts = JSON.parse(process.argv[2] ?? '{}');
const unverified = new Set(opts.unverified ?? []);

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: opts.clients.map((c) => ({
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: c.jwks ? 'private_key_jwt' : 'client_secret_post',
    ...c,
  })),
  cookies: { keys: ['nightshift-test-provider'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
  // The console reads the ID token's claims (as with Entra ID), not the userinfo endpoint.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: id,
          email_verified: !unverified.has(id),
          name: id.split('@')[0],
          preferred_username: id,
        };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grantId =
      ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});
server.on('request', provider.callback());
process.stdout.write(`READY ${issuer}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
