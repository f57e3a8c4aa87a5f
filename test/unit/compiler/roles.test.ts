// nightshift.yaml `roles:` and a person's `login:` (the console's roles and OIDC sign-in).
import { formatDiagnostic, loadOrg } from '../../../compiler/index';

const PEOPLE = `people:
  ana: { name: Ana, email: ana@example.com }
  ben: { name: Ben, login: ben.o@corp.onmicrosoft.com }
  cho: { name: Cho }
groups:
  leads: [ana, ben]
`;

describe('roles', () => {
  it('expands groups, keeps people, and leaves the IR unchanged without roles', () => {
    const r = loadOrg('o.yaml', `${PEOPLE}roles:\n  admin: [ana]\n  responder: [leads, cho]\n`);
    expect(r.diagnostics).toEqual([]);
    expect(r.org?.roles).toEqual({ admin: ['ana'], responder: ['ana', 'ben', 'cho'] });
    expect(r.org?.people.ben.login).toBe('ben.o@corp.onmicrosoft.com');
    const without = loadOrg('o.yaml', PEOPLE).org;
    expect(without && 'roles' in without).toBe(false);
  });

  it('refuses unknown names and roles with their position', () => {
    const r = loadOrg('o.yaml', `${PEOPLE}roles:\n  admin: [anna]\n  owner: [ana]\n`);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      "o.yaml:9:3: error: unknown key 'owner' in roles",
      "o.yaml:8:11: error: roles.admin: 'anna' is neither a person nor a group (did you mean 'ana'?)",
    ]);
  });

  it('refuses a login that is another person’s login or email', () => {
    const r = loadOrg(
      'o.yaml',
      `people:\n  ana: { name: Ana, email: ana@example.com }\n  eve: { name: Eve, login: ANA@example.com }\n`,
    );
    expect(r.org).toBeUndefined();
    expect(r.diagnostics.map(formatDiagnostic).join('\n')).toMatch(
      /o\.yaml:3:3: error: person 'eve': login 'ANA@example.com' is also the login or email of 'ana'/,
    );
  });

  it('refuses a phone or Slack id that is another person’s, at its position: an answer must name one person', () => {
    const r = loadOrg(
      'o.yaml',
      [
        'people:',
        '  ana: { name: Ana, phone: "+15555550101", slack: U01ANA }',
        '  bob: { name: Bob, phone: "+15555550101", slack: U01BOB }',
        '  cy: { name: Cy, phone: "+15555550103", slack: U01ANA }',
        '',
      ].join('\n'),
    );
    expect(r.org).toBeUndefined();
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      "o.yaml:3:28: error: person 'bob': phone '+15555550101' is also ana's: an SMS reply or a call from it could not tell who answered",
      "o.yaml:4:49: error: person 'cy': slack 'U01ANA' is also ana's: a Slack click from it could not tell who answered",
    ]);
  });
});
