// `nightshift sign-in` prints a one-time console link signed with the server's link key.
import path from 'node:path';
import { runSignIn } from '../../cli/sign-in';
import { checkSignInToken } from '../../server/console/sign-in-link';
import { ExpiringSet } from '../../server/console/session';

const SECRET = 'sign-in-test-link-secret-0123456789abcdef';
const env = {
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  NIGHTSHIFT_LINK_SECRET: SECRET,
  NIGHTSHIFT_PUBLIC_URL: 'https://soar.example',
  NIGHTSHIFT_CONFIG: path.join(__dirname, '..', 'fixtures', 'console', 'nightshift.yaml'),
};

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s), cwd: process.cwd() },
  };
}

describe('nightshift sign-in', () => {
  it('prints a link that signs in once, for anyone or for the person named', async () => {
    const a = io();
    expect(await runSignIn(['--as', 'ben'], a.io, env)).toBe(0);
    const url = new URL(a.out[0]);
    expect(url.origin + url.pathname).toBe('https://soar.example/console/sign-in');
    const check = checkSignInToken(
      SECRET,
      url.searchParams.get('t')!,
      Math.floor(Date.now() / 1000),
      new ExpiringSet(),
    );
    expect(check).toMatchObject({ ok: true, person: 'ben' });
  });

  it('refuses a person without a console role, and says where to sign in when OIDC is configured', async () => {
    const a = io();
    expect(await runSignIn(['--as', 'zed'], a.io, env)).toBe(2);
    expect(a.err[0]).toBe(
      'nightshift sign-in: "zed" is not a person of nightshift.yaml with a console role.',
    );
    const b = io();
    const oidc = {
      ...env,
      NIGHTSHIFT_OIDC_ISSUER: 'https://login.example/t/v2.0',
      NIGHTSHIFT_OIDC_CLIENT_ID: 'c',
      NIGHTSHIFT_OIDC_CLIENT_SECRET: 's',
    };
    expect(await runSignIn([], b.io, oidc)).toBe(1);
    expect(b.err[0]).toBe(
      'nightshift sign-in: the console signs in with https://login.example/t/v2.0: open https://soar.example/console/inbox',
    );
  });
});
