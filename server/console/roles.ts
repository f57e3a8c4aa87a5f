// Who may use the console, as what: roles come from nightshift.yaml (`roles:`), and a signed-in OIDC
// user is mapped to a person of nightshift.yaml by a claim of their ID token.
import type { OrgIR, PersonIR } from '../../core/ir';
import { ROLES, type Role } from '../../console/model';

/**
 * A person's console role: the highest role whose list names them (directly or by group). Without a
 * `roles:` section every person is a responder (nobody is admin); someone in no list has no access.
 */
export function roleOf(org: OrgIR, personId: string): Role | null {
  if (!org.people[personId]) return null;
  if (!org.roles) return 'responder';
  for (const r of [...ROLES].reverse()) if (org.roles[r]?.includes(personId)) return r;
  return null;
}

/** People with a console role, for the one-time link's "who are you" page. */
export function peopleWithRoles(org: OrgIR): Array<{ id: string; name: string; role: Role }> {
  const out: Array<{ id: string; name: string; role: Role }> = [];
  for (const p of Object.values(org.people)) {
    const role = roleOf(org, p.id);
    if (role) out.push({ id: p.id, name: p.name, role });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export type ClaimMatch = { person: PersonIR; claim: string } | { person: null; reason: string };

/**
 * The person of nightshift.yaml an ID token stands for: the first of `claims` (e.g. email, then
 * preferred_username) whose value equals a person's `login` or `email`, compared without case. An email
 * the provider says is not verified is never used.
 */
export function personForClaims(org: OrgIR, idClaims: Record<string, unknown>, claims: string[]): ClaimMatch {
  const tried: string[] = [];
  for (const name of claims) {
    const raw = idClaims[name];
    if (typeof raw !== 'string' || raw === '') continue;
    if (name === 'email' && idClaims.email_verified === false) {
      tried.push('email (not verified by the provider)');
      continue;
    }
    const v = raw.toLowerCase();
    const person = Object.values(org.people).find(
      (p) => p.login?.toLowerCase() === v || p.email?.toLowerCase() === v,
    );
    if (person) return { person, claim: name };
    tried.push(`${name} "${raw.length > 100 ? raw.slice(0, 100) + '…' : raw}"`);
  }
  return {
    person: null,
    reason: tried.length
      ? `no person of nightshift.yaml has the login or email of this account (${tried.join(', ')})`
      : `the ID token carries none of the claims ${claims.join(', ')}`,
  };
}
