// Defender XDR incidents (issue 15 §5; reference §8, §11.6): the incident a run belongs to, read into a
// bounded, documented shape for the run state (and the console's story of a run), and the PATCH body of
// `defender.update_incident`. The incidents API is its own resource (api.security.microsoft.com, token
// scope …/.default, permissions Incident.Read.All / Incident.ReadWrite.All of "Microsoft Threat Protection").
import type {
  IncidentAlertSummary,
  IncidentEntities,
  IncidentSummary,
  IncidentUpdate,
} from '../../core/defender-effects';
import {
  INCIDENT_CLASSIFICATION,
  INCIDENT_DETERMINATION,
  INCIDENT_STATUS,
} from '../../core/defender-effects';

export { INCIDENT_CLASSIFICATION, INCIDENT_DETERMINATION, INCIDENT_STATUS };
import type { Budget, DefenderCaller } from './caller';

export type { IncidentSummary, IncidentUpdate };

/** An incident as GET /api/incidents/{id} returns it; real data omits null keys (reference §11.6). */
export interface XdrIncident {
  incidentId: number | string;
  redirectIncidentId?: number | string | null;
  incidentName?: string | null;
  incidentUri?: string | null;
  createdTime?: string | null;
  lastUpdateTime?: string | null;
  assignedTo?: string | null;
  classification?: string | null;
  determination?: string | null;
  status?: string | null;
  severity?: string | null;
  tags?: string[] | null;
  comments?: Array<{ comment?: string; createdBy?: string; createdTime?: string }> | null;
  alerts?: XdrIncidentAlert[] | null;
}

export interface XdrIncidentAlert {
  alertId: string;
  providerAlertId?: string | null;
  incidentId?: number | string | null;
  serviceSource?: string | null;
  detectionSource?: string | null;
  creationTime?: string | null;
  firstActivity?: string | null;
  lastActivity?: string | null;
  title?: string | null;
  category?: string | null;
  status?: string | null;
  severity?: string | null;
  classification?: string | null;
  determination?: string | null;
  threatFamilyName?: string | null;
  mitreTechniques?: string[] | null;
  devices?: Array<Record<string, unknown>> | null;
  entities?: Array<Record<string, unknown>> | null;
}

export const MAX_INCIDENT_ALERTS = 50;
export const MAX_INCIDENT_ENTITIES = 100;

const str = (v: unknown, max = 300): string =>
  typeof v === 'string' ? v.slice(0, max) : typeof v === 'number' ? String(v) : '';
const strs = (v: unknown, max = 50): string[] =>
  Array.isArray(v)
    ? v
        .filter((x): x is string => typeof x === 'string')
        .slice(0, max)
        .map((x) => x.slice(0, 200))
    : [];

/** Appends `item` under `key` unless present or full; returns false when it was dropped for the bound. */
function add<T>(list: T[], seen: Set<string>, key: string, item: T): boolean {
  if (!key || seen.has(key)) return true;
  if (list.length >= MAX_INCIDENT_ENTITIES) return false;
  seen.add(key);
  list.push(item);
  return true;
}

export function incidentSummary(inc: XdrIncident, portalUrl?: string): IncidentSummary {
  const id = str(inc.incidentId, 40);
  const alerts = Array.isArray(inc.alerts) ? inc.alerts : [];
  const entities: IncidentEntities = {
    devices: [],
    users: [],
    files: [],
    processes: [],
    ips: [],
    urls: [],
    other: {},
  };
  const seen = {
    devices: new Set<string>(),
    users: new Set<string>(),
    files: new Set<string>(),
    processes: new Set<string>(),
    ips: new Set<string>(),
    urls: new Set<string>(),
  };
  let truncated = alerts.length > MAX_INCIDENT_ALERTS;
  const out: IncidentAlertSummary[] = [];
  for (const a of alerts) {
    if (!a || typeof a !== 'object') continue;
    const devices = Array.isArray(a.devices) ? a.devices : [];
    for (const d of devices) {
      const did = str(d.mdatpDeviceId, 100);
      truncated =
        !add(entities.devices, seen.devices, did, {
          id: did,
          name: str(d.deviceDnsName),
          os: str(d.osPlatform, 100),
          health: str(d.healthStatus, 60),
          risk: str(d.riskScore, 60),
          tags: strs(d.tags),
        }) || truncated;
    }
    for (const e of Array.isArray(a.entities) ? a.entities : []) {
      if (!e || typeof e !== 'object') continue;
      const type = str(e.entityType, 60);
      let ok = true;
      switch (type.toLowerCase()) {
        case 'user': {
          const u = {
            name: str(e.accountName),
            domain: str(e.domainName),
            upn: str(e.userPrincipalName),
            sid: str(e.userSid, 200),
          };
          ok = add(entities.users, seen.users, `${u.domain}\\${u.name}|${u.upn}|${u.sid}`.toLowerCase(), u);
          break;
        }
        case 'file': {
          const f = {
            sha1: str(e.sha1, 40),
            sha256: str(e.sha256, 64),
            name: str(e.fileName),
            path: str(e.filePath, 1000),
          };
          ok = add(entities.files, seen.files, `${f.sha256 || f.sha1}|${f.path}|${f.name}`.toLowerCase(), f);
          break;
        }
        case 'process': {
          const p = {
            id: typeof e.processId === 'number' ? e.processId : Number(e.processId ?? 0) || 0,
            command_line: str(e.processCommandLine, 2000),
            file: str(e.fileName),
            sha1: str(e.sha1, 40),
            created_at: str(e.processCreationTime, 40),
          };
          ok = add(entities.processes, seen.processes, `${str(e.deviceId)}|${p.id}|${p.created_at}`, p);
          break;
        }
        case 'ip':
          ok = add(entities.ips, seen.ips, str(e.ipAddress, 60), str(e.ipAddress, 60));
          break;
        case 'url':
          ok = add(entities.urls, seen.urls, str(e.url, 2000), str(e.url, 2000));
          break;
        default:
          if (type) entities.other[type] = (entities.other[type] ?? 0) + 1;
      }
      truncated = !ok || truncated;
    }
    if (out.length < MAX_INCIDENT_ALERTS) {
      out.push({
        id: str(a.alertId, 128),
        title: str(a.title, 500),
        severity: str(a.severity, 40),
        status: str(a.status, 40),
        category: str(a.category, 100),
        service_source: str(a.serviceSource, 100),
        detection_source: str(a.detectionSource, 100),
        created_at: str(a.creationTime, 40),
        first_activity: str(a.firstActivity, 40),
        last_activity: str(a.lastActivity, 40),
        mitre: strs(a.mitreTechniques),
        device_ids: devices
          .map((d) => str(d.mdatpDeviceId, 100))
          .filter(Boolean)
          .slice(0, 50),
      });
    }
  }
  return {
    id,
    name: str(inc.incidentName, 500),
    status: str(inc.status, 40),
    severity: str(inc.severity, 40),
    classification: str(inc.classification, 60),
    determination: str(inc.determination, 60),
    assigned_to: str(inc.assignedTo),
    tags: strs(inc.tags),
    created_at: str(inc.createdTime, 40),
    updated_at: str(inc.lastUpdateTime, 40),
    redirected_to: str(inc.redirectIncidentId, 40),
    url:
      str(inc.incidentUri, 500) ||
      (portalUrl && id ? `${portalUrl}/incidents/${encodeURIComponent(id)}` : ''),
    alerts: out,
    entities,
    truncated,
  };
}

// --- defender.update_incident ------------------------------------------------------------------

export class IncidentParamError extends Error {
  override name = 'IncidentParamError';
}

function pick(table: Record<string, string>, raw: string, what: string): string {
  const v = table[raw.trim().toLowerCase()];
  if (!v)
    throw new IncidentParamError(
      `${what} must be one of ${Object.keys(table).join(', ')} (got "${raw.slice(0, 60)}")`,
    );
  return v;
}

/**
 * The PATCH body (camelCase). `currentTags` are the incident's tags as just read: the body carries their
 * union with `u.tags`, so tags a person set in the portal are never removed.
 */
export function incidentUpdateBody(u: IncidentUpdate, currentTags: string[] = []): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (u.status) body.status = pick(INCIDENT_STATUS, u.status, 'status');
  if (u.classification)
    body.classification = pick(INCIDENT_CLASSIFICATION, u.classification, 'classification');
  if (u.determination) {
    const cls = body.classification as string | undefined;
    if (!cls)
      throw new IncidentParamError(
        'determination needs a classification in the same step (the API sets it with one)',
      );
    body.determination = pick(INCIDENT_DETERMINATION[cls], u.determination, `determination for ${cls}`);
  }
  if (u.assigned_to?.trim()) body.assignedTo = u.assigned_to.trim().slice(0, 320);
  if (u.tags && u.tags.length > 0) {
    const add = u.tags.map((t) => t.trim()).filter(Boolean);
    for (const t of add)
      if (t.length > 200)
        throw new IncidentParamError(`tag "${t.slice(0, 60)}…" is longer than 200 characters`);
    const all = [...new Set([...currentTags, ...add])];
    if (all.length > 100)
      throw new IncidentParamError(`an incident keeps at most 100 tags here (would have ${all.length})`);
    body.tags = all;
  }
  if (u.comment?.trim()) body.comment = u.comment.trim().slice(0, 1000);
  if (Object.keys(body).length === 0) {
    throw new IncidentParamError(
      'update_incident needs at least one of status, classification, determination, assigned_to, tags, comment',
    );
  }
  return body;
}

/** Incident ids are longs (reference §8). */
export function checkIncidentId(id: string): string {
  if (!/^\d{1,19}$/.test(id))
    throw new IncidentParamError(`incident id must be a number (got "${id.slice(0, 60)}")`);
  return id;
}

/** GET /api/incidents/{id} on the XDR resource (Incident.Read.All). */
export function getIncident(c: DefenderCaller, id: string, budget?: Budget): Promise<XdrIncident> {
  return c.call<XdrIncident>('GET', `/api/incidents/${checkIncidentId(id)}`, { api: 'xdr', budget });
}

/** PATCH /api/incidents/{id} (Incident.ReadWrite.All): the incident as updated. */
export function patchIncident(
  c: DefenderCaller,
  id: string,
  body: Record<string, unknown>,
  budget?: Budget,
): Promise<XdrIncident> {
  return c.call<XdrIncident>('PATCH', `/api/incidents/${checkIncidentId(id)}`, { api: 'xdr', body, budget });
}
