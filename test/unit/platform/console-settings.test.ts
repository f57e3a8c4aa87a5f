import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { consoleSettings } from '../../../platform/config/console';

describe('console settings', () => {
  it('without OIDC: one-time links and a 12 h session', () => {
    expect(consoleSettings({})).toEqual({ sessionTtlMs: 12 * 3600_000 });
  });

  it('refuses OIDC configured in part, naming what is missing, never a secret', () => {
    expect(() => consoleSettings({ NIGHTSHIFT_OIDC_ISSUER: 'https://login.example/t/v2.0' })).toThrow(
      'console sign-in (OIDC) is configured in part: NIGHTSHIFT_OIDC_CLIENT_ID, NIGHTSHIFT_OIDC_CLIENT_SECRET (or NIGHTSHIFT_OIDC_CLIENT_CERT and _KEY) missing.',
    );
    expect(() =>
      consoleSettings({ NIGHTSHIFT_OIDC_CLIENT_ID: 'c', NIGHTSHIFT_OIDC_CLIENT_SECRET: 'very-secret-value' }),
    ).toThrow(/NIGHTSHIFT_OIDC_ISSUER missing\.$/);
    expect(() =>
      consoleSettings({
        NIGHTSHIFT_OIDC_ISSUER: 'http://idp.example',
        NIGHTSHIFT_OIDC_CLIENT_ID: 'c',
        NIGHTSHIFT_OIDC_CLIENT_SECRET: 's',
      }),
    ).toThrow('must be https (http only on this machine)');
    expect(() => consoleSettings({ NIGHTSHIFT_CONSOLE_SESSION_TTL: '30d' })).toThrow('from 5m to 7d');
  });

  it('reads a certificate credential from its files, and the claims in order', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oidc-'));
    fs.writeFileSync(path.join(dir, 'c.pem'), 'CERT');
    fs.writeFileSync(path.join(dir, 'k.pem'), 'KEY');
    const s = consoleSettings({
      NIGHTSHIFT_OIDC_ISSUER: 'https://login.microsoftonline.com/t/v2.0',
      NIGHTSHIFT_OIDC_CLIENT_ID: 'c',
      NIGHTSHIFT_OIDC_CLIENT_CERT: path.join(dir, 'c.pem'),
      NIGHTSHIFT_OIDC_CLIENT_KEY: path.join(dir, 'k.pem'),
      NIGHTSHIFT_OIDC_CLAIMS: 'oid, preferred_username',
    });
    expect(s.oidc).toMatchObject({
      issuer: 'https://login.microsoftonline.com/t/v2.0',
      clientCertificate: { certPem: 'CERT', keyPem: 'KEY' },
      claims: ['oid', 'preferred_username'],
      scopes: 'openid profile email',
    });
    fs.rmSync(dir, { recursive: true });
  });
});
