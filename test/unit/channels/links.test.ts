import { linkUrl, signLink, verifyLink, MAX_TOKEN_LENGTH } from '../../../integrations/links';

const SECRET = 'a-test-link-secret-of-at-least-32-bytes!!';
const claims = {
  k: 'decide' as const,
  id: 'run-1|approval|1',
  sub: 'ana',
  out: 'approved' as const,
  exp: 2000,
};

describe('signed links', () => {
  it('round-trips claims bound to one approval, person and outcome', () => {
    const t = signLink(SECRET, claims);
    const v = verifyLink(SECRET, t, 1000);
    expect(v).toMatchObject({
      ok: true,
      claims: { v: 1, k: 'decide', id: 'run-1|approval|1', sub: 'ana', out: 'approved', exp: 2000 },
    });
    expect(v.ok && v.claims.jti).toMatch(/^[\w-]{20,}$/);
    expect(linkUrl('https://soar.example/', t)).toBe(`https://soar.example/v1/links?t=${t}`);
  });

  it('expires', () => {
    const t = signLink(SECRET, claims);
    expect(verifyLink(SECRET, t, 1999).ok).toBe(true);
    expect(verifyLink(SECRET, t, 2000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a tampered claim (other person, outcome or approval), a wrong key and garbage', () => {
    const t = signLink(SECRET, claims);
    const [body, mac] = t.split('.');
    const forged = JSON.parse(Buffer.from(body, 'base64url').toString());
    for (const change of [{ sub: 'ben' }, { out: 'denied' }, { id: 'run-2|approval|1' }, { exp: 99999 }]) {
      const b = Buffer.from(JSON.stringify({ ...forged, ...change })).toString('base64url');
      expect(verifyLink(SECRET, `${b}.${mac}`, 1000)).toEqual({ ok: false, reason: 'signature' });
    }
    expect(verifyLink('another-secret-another-secret-another', t, 1000)).toEqual({
      ok: false,
      reason: 'signature',
    });
    expect(verifyLink(SECRET, 'nonsense', 1000)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyLink(SECRET, `${t}.x`, 1000)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyLink(SECRET, 'a'.repeat(MAX_TOKEN_LENGTH + 1), 1000)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verifyLink('', t, 1000)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a token of another kind (a voice token is no approval link)', () => {
    const t = signLink(SECRET, {
      k: 'voice',
      id: 'run-1|page|1',
      sub: 'ana',
      q: 'page',
      tel: '+15555550101',
      exp: 2000,
    });
    expect(verifyLink(SECRET, t, 1000, ['decide', 'ack'])).toEqual({ ok: false, reason: 'kind' });
    expect(verifyLink(SECRET, t, 1000, ['voice']).ok).toBe(true);
  });
});
