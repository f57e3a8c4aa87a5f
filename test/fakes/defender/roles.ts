// Which token a route takes, and which application roles it needs (reference §2.2, §2.4, §15.2-15.8):
// MDE routes take a WindowsDefenderATP token, /api/incidents an XDR ("Microsoft Threat Protection")
// token, and Graph's runHuntingQuery a Microsoft Graph token. A token without a needed role gets 403.

export type Resource = 'mde' | 'xdr' | 'graph';

/** Each inner list is "any one of"; every inner list must be satisfied (Stop & quarantine needs two). */
export type RoleRule = string[][];

const READ = ['Machine.Read.All', 'Machine.ReadWrite.All'];

const ACTION_ROLES: Record<string, string> = {
  isolate: 'Machine.Isolate',
  unisolate: 'Machine.Isolate',
  runantivirusscan: 'Machine.Scan',
  collectinvestigationpackage: 'Machine.CollectForensics',
  restrictcodeexecution: 'Machine.RestrictExecution',
  unrestrictcodeexecution: 'Machine.RestrictExecution',
  offboard: 'Machine.Offboard',
  runliveresponse: 'Machine.LiveResponse',
};

/** The resource whose token a path takes. */
export function resourceOf(path: string): Resource {
  if (path.startsWith('/v1.0/')) return 'graph';
  return /^\/api\/(v1\.0\/)?incidents(\/|$)/i.test(path) ? 'xdr' : 'mde';
}

/**
 * Roles of a route (`api` is the path after /api, lowercased for matching). Where the docs changed, the
 * newer, stricter page is followed: polling an action and fetching a live response result link need
 * Machine.ReadWrite.All (reference §15.3, §15.4, §15.9 gotcha 5).
 */
export function rolesFor(method: string, api: string, resource: Resource): RoleRule | undefined {
  const p = api.toLowerCase();
  if (resource === 'graph')
    return p === '/security/runhuntingquery' ? [['ThreatHunting.Read.All']] : undefined;
  if (resource === 'xdr')
    return method === 'GET'
      ? [['Incident.Read.All', 'Incident.ReadWrite.All']]
      : [['Incident.ReadWrite.All']];
  let m: RegExpExecArray | null;
  if ((m = /^\/machines\/[^/]+\/([a-z]+)$/.exec(p)) && method === 'POST') {
    if (m[1] === 'stopandquarantinefile') return [['Machine.StopAndQuarantine'], READ];
    return ACTION_ROLES[m[1]] ? [[ACTION_ROLES[m[1]]]] : undefined;
  }
  if (p.startsWith('/machines')) return [READ];
  if (/^\/machineactions\/[^/]+\/getliveresponseresultdownloadlink/.test(p))
    return [['Machine.ReadWrite.All']];
  if (/^\/machineactions\/[^/]+\/cancel$/.test(p)) {
    return [[...new Set([...Object.values(ACTION_ROLES), 'Machine.StopAndQuarantine'])]];
  }
  if (p.startsWith('/machineactions')) return [['Machine.ReadWrite.All', 'Machine.Read.All']];
  if (p.startsWith('/libraryfiles')) return [['Library.Manage']];
  if (p.startsWith('/alerts'))
    return method === 'GET' ? [['Alert.Read.All', 'Alert.ReadWrite.All']] : [['Alert.ReadWrite.All']];
  if (p.startsWith('/indicators')) return [['Ti.ReadWrite', 'Ti.ReadWrite.All']];
  if (p.startsWith('/advancedqueries')) return [['AdvancedQuery.Read.All']];
  return undefined;
}

/** The 403 message of a missing role (the observed wording, reference §3.1). */
export function missingRoles(rule: RoleRule, granted: readonly string[]): string | undefined {
  const unmet = rule.find((anyOf) => !anyOf.some((r) => granted.includes(r)));
  if (!unmet) return undefined;
  return `Missing application roles. API required roles: ${unmet.join(',')}, application roles: ${granted.join(',')}.`;
}
