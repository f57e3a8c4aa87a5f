import type { OrgIR } from '../../../core/ir';
import { peopleWithRoles, personForClaims, roleOf } from '../../../server/console/roles';
import {
  decodeSession,
  deriveKey,
  encodeSession,
  ExpiringSet,
  newSession,
  safeReturnTo,
} from '../../../server/console/session';

function org(roles?: OrgIR['roles']): OrgIR {
  return {
    irVersion: 1,
    calendars: {},
    rotations: {},
    groups: {},
    channels: {},
    policy: {},
    hash: 'x',
    people: {
      ana: { id: 'ana', name: 'Ana Ruiz', email: 'Ana.Ruiz@example.com' },
      ben: { id: 'ben', name: 'Ben Ode', email: 'ben@example.com', login: 'ben.ode@corp.onmicrosoft.com' },
      cho: { id: 'cho', name: 'Cho Lee' },
    },
    roles,
  };
}

describe('roles', () => {
  it('without roles: every person responds, nobody administers, strangers have no access', () => {
    const o = org();
    expect(roleOf(o, 'ana')).toBe('responder');
    expect(roleOf(o, 'nobody')).toBeNull();
  });

  it('with roles: the highest listed role; unlisted people have none', () => {
    const o = org({ admin: ['ana'], responder: ['ana', 'ben'] });
    expect(roleOf(o, 'ana')).toBe('admin');
    expect(roleOf(o, 'ben')).toBe('responder');
    expect(roleOf(o, 'cho')).toBeNull();
    expect(peopleWithRoles(o).map((p) => p.id)).toEqual(['ana', 'ben']);
  });
});

describe('personForClaims', () => {
  const claims = ['email', 'preferred_username'];
  it('maps by email without case, then by login', () => {
    expect(personForClaims(org(), { email: 'ana.ruiz@EXAMPLE.com' }, claims).person?.id).toBe('ana');
    expect(
      personForClaims(org(), { preferred_username: 'BEN.ODE@corp.onmicrosoft.com' }, claims).person?.id,
    ).toBe('ben');
  });

  it('never trusts an email the provider did not verify, and says why nobody matched', () => {
    const m = personForClaims(org(), { email: 'ana.ruiz@example.com', email_verified: false }, ['email']);
    expect(m.person).toBeNull();
    expect(m.person === null && m.reason).toMatch(/not verified/);
    const none = personForClaims(org(), { sub: 'x' }, claims);
    expect(none.person === null && none.reason).toMatch(/none of the claims email, preferred_username/);
  });
});

describe('sessions', () => {
  it('round-trips and expires', () => {
    const s = newSession('ana', 'oidc', 60_000, 1_000);
    expect(decodeSession(encodeSession(s), 2_000)).toEqual(s);
    expect(decodeSession(encodeSession(s), 61_000)).toBeNull();
    expect(decodeSession('not-json', 2_000)).toBeNull();
    expect(decodeSession(Buffer.from('{"v":1,"sid":"x"}').toString('base64url'), 2_000)).toBeNull();
  });

  it('derives a different key per purpose from the link secret', () => {
    expect(deriveKey('s'.repeat(48), 'session')).not.toBe(deriveKey('s'.repeat(48), 'csrf'));
  });

  it('remembers revoked ids until they expire', () => {
    const set = new ExpiringSet(2);
    set.add('a', 100, 0);
    expect(set.has('a', 50)).toBe(true);
    expect(set.has('a', 100)).toBe(false);
    set.add('b', 300, 0);
    set.add('c', 200, 0);
    set.add('d', 400, 0); // over the bound: the one expiring first goes
    expect(set.has('c', 10)).toBe(false);
    expect(set.has('d', 10)).toBe(true);
  });

  it('returns only to console paths', () => {
    expect(safeReturnTo('/console/run?id=x', '/console/inbox')).toBe('/console/run?id=x');
    for (const bad of ['//evil.example/console', 'https://evil.example/', '/consolex', '/console\\..', 42])
      expect(safeReturnTo(bad, '/console/inbox')).toBe('/console/inbox');
  });
});
