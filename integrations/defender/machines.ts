// Finding the machine a detection names, and what Defender knows about it (issue 15 §1, §2; reference
// §7, §15.8). Pure: the lookup plan, the OData filters, the "exactly one live, onboarded, unmerged
// match" rule and the enrichment `device.mde` that playbooks read. The calls themselves are one API call
// per step of the plan (GET /api/machines/{id}, GET /api/machines?$filter=…, GET …/findbyip(…)).
import { emptyEnrichment, type Candidate, type DeviceEnrichment } from '../../core/defender-effects';
import type { Budget, DefenderCaller } from './caller';

export type { Candidate, DeviceEnrichment };

/** A Machine entity as GET /api/machines returns it (reference §7.2, §11.2); unknown fields are ignored. */
export interface MdeMachine {
  id: string;
  computerDnsName?: string | null;
  firstSeen?: string | null;
  lastSeen?: string | null;
  osPlatform?: string | null;
  version?: string | null;
  osVersion?: string | null;
  lastIpAddress?: string | null;
  lastExternalIpAddress?: string | null;
  healthStatus?: string | null;
  onboardingStatus?: string | null;
  /** The doc table's spelling (reference §12.9); real data says onboardingStatus. */
  onboardingstatus?: string | null;
  rbacGroupName?: string | null;
  rbacGroupId?: number | string | null;
  riskScore?: string | null;
  exposureLevel?: string | null;
  deviceValue?: string | null;
  aadDeviceId?: string | null;
  machineTags?: string[] | null;
  mergedIntoMachineId?: string | null;
  isPotentialDuplication?: boolean | null;
  isExcluded?: boolean | null;
  managedBy?: string | null;
  agentVersion?: string | null;
}

/** What a detection says about a device (the normalized detection's device, reference spec §5). */
export interface DeviceHint {
  id: string;
  name?: string;
  ip?: string;
}

/** MDE device ids are 40 hex digits ("generally", reference §4). */
export const MDE_MACHINE_ID = /^[0-9a-f]{40}$/i;

/** One API call of a lookup, tried in order until one resolves or names several candidates. */
export type LookupStep =
  | { by: 'id'; id: string }
  | { by: 'name'; name: string; filter: string }
  | { by: 'ip'; ip: string; timestamp: string };

/** Largest candidate list read for a name (more than this is ambiguous anyway). */
export const NAME_LOOKUP_TOP = 50;
/** findbyip accepts timestamps of the last 30 days (reference §7.1, §15.8). */
export const FIND_BY_IP_MAX_AGE_MS = 30 * 24 * 3_600_000;

const HOSTNAME = /^[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** The host name as Defender records it: lowercase, no trailing dot; null when it is not a host name. */
export function normalizeHostName(name: string | undefined): string | null {
  const n = (name ?? '').trim().toLowerCase().replace(/\.$/, '');
  if (n.length === 0 || n.length > 253 || !HOSTNAME.test(n) || IPV4.test(n)) return null;
  return n;
}

function odataString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * The name filter: the exact name, and for a short name or an FQDN also the records under the same first
 * label (`computerDnsName` may be short or fully qualified, reference §15.8): `wks-042.corp.example`
 * asks for itself, `wks-042` and `wks-042.*`. Matching is finished on our side (nameMatches), because
 * startswith('wks-042.') alone would not tell `wks-042.corp` from `wks-042.other`.
 */
export function nameFilter(name: string): string {
  const label = name.split('.')[0];
  const terms = [`computerDnsName eq ${odataString(name)}`];
  if (label !== name) terms.push(`computerDnsName eq ${odataString(label)}`);
  terms.push(`startswith(computerDnsName,${odataString(`${label}.`)})`);
  return terms.join(' or ');
}

/** Whether a machine record is the host `name`: the same name, or a short record of an FQDN / vice versa. */
export function nameMatches(record: string | null | undefined, name: string): boolean {
  const r = (record ?? '').trim().toLowerCase().replace(/\.$/, '');
  if (!r) return false;
  if (r === name) return true;
  const [rl, ...rd] = r.split('.');
  const [nl, ...nd] = name.split('.');
  // One side short, the same first label: the FQDN's domain is unknown on the other side.
  return rl === nl && (rd.length === 0 || nd.length === 0);
}

/**
 * The plan: the MDE id when the detection has one; else the host name; else the IP at the detection's
 * time (when within findbyip's 30 days). A device whose `id` is not an MDE id (a Red Canary endpoint
 * name, say) is looked up by that id as a name when it has no name of its own.
 */
export function lookupPlan(d: DeviceHint, detectedAt: string, nowMs: number): LookupStep[] {
  const steps: LookupStep[] = [];
  if (MDE_MACHINE_ID.test(d.id)) steps.push({ by: 'id', id: d.id.toLowerCase() });
  const name = normalizeHostName(d.name) ?? (MDE_MACHINE_ID.test(d.id) ? null : normalizeHostName(d.id));
  if (name) steps.push({ by: 'name', name, filter: nameFilter(name) });
  const ip = (d.ip ?? '').trim();
  const at = Date.parse(detectedAt);
  if (IPV4.test(ip) && !Number.isNaN(at) && nowMs - at < FIND_BY_IP_MAX_AGE_MS && at <= nowMs + 60_000) {
    steps.push({ by: 'ip', ip, timestamp: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z') });
  }
  return steps;
}

/** The path of findbyip (reference §7.1: the documented form, timestamp unquoted). */
export function findByIpPath(ip: string, timestamp: string): string {
  return `/api/machines/findbyip(ip=${odataString(ip)},timestamp=${timestamp})`;
}

function onboarding(m: MdeMachine): string {
  return m.onboardingStatus ?? m.onboardingstatus ?? '';
}

export function candidate(m: MdeMachine): Candidate {
  return {
    id: m.id,
    name: m.computerDnsName ?? '',
    health: m.healthStatus ?? '',
    onboarding: onboarding(m),
    last_seen: m.lastSeen ?? '',
    merged_into: m.mergedIntoMachineId ?? '',
    potential_duplicate: m.isPotentialDuplication === true,
  };
}

export type Pick =
  { outcome: 'found'; machine: MdeMachine } | { outcome: 'not_found' | 'ambiguous'; candidates: Candidate[] };

/**
 * Exactly one live, onboarded, unmerged machine among `records`, or why not (reference §15.8 steps 3-7):
 * merged records and records not onboarded are dropped, then only `healthStatus == Active` counts. Never
 * the first of several: two live matches are ambiguous, and the candidates (every record seen, with why
 * it did not count) go into the failure.
 */
export function pickMachine(records: MdeMachine[], name?: string): Pick {
  const seen = records.filter(
    (m) => typeof m?.id === 'string' && (!name || nameMatches(m.computerDnsName, name)),
  );
  const live = seen.filter(
    (m) =>
      !m.mergedIntoMachineId &&
      onboarding(m).toLowerCase() === 'onboarded' &&
      (m.healthStatus ?? '').toLowerCase() === 'active',
  );
  if (live.length === 1) return { outcome: 'found', machine: live[0] };
  const candidates = (live.length > 1 ? live : seen).map(candidate);
  return { outcome: live.length > 1 ? 'ambiguous' : 'not_found', candidates };
}

/** A machine's candidates, one line each, for a step's failure reason. */
export function describeCandidates(cs: Candidate[], max = 5): string {
  const shown = cs.slice(0, max).map((c) => {
    const why = [
      c.health || 'health unknown',
      c.onboarding && c.onboarding.toLowerCase() !== 'onboarded' ? c.onboarding : '',
      c.merged_into ? `merged into ${c.merged_into}` : '',
      c.last_seen ? `last seen ${c.last_seen}` : '',
    ].filter(Boolean);
    return `${c.id} (${c.name || 'no name'}: ${why.join(', ')})`;
  });
  const more = cs.length > max ? `, and ${cs.length - max} more` : '';
  return `${shown.join('; ')}${more}`;
}

const s = (v: unknown, max = 300): string => (typeof v === 'string' ? v.slice(0, max) : '');

/** A found machine as `device.mde` (strings bounded; at most 50 tags). */
export function enrichment(m: MdeMachine, foundBy: LookupStep['by']): DeviceEnrichment {
  const groupId = typeof m.rbacGroupId === 'number' ? m.rbacGroupId : Number(m.rbacGroupId ?? 0);
  return {
    ...emptyEnrichment('found'),
    id: s(m.id, 100),
    name: s(m.computerDnsName),
    tags: (Array.isArray(m.machineTags) ? m.machineTags : [])
      .filter((t): t is string => typeof t === 'string')
      .slice(0, 50)
      .map((t) => t.slice(0, 200)),
    group: s(m.rbacGroupName),
    group_id: Number.isSafeInteger(groupId) ? groupId : 0,
    health: s(m.healthStatus, 60),
    onboarding: s(onboarding(m), 60),
    risk: s(m.riskScore, 60),
    exposure: s(m.exposureLevel, 60),
    value: s(m.deviceValue, 60),
    os: s(m.osPlatform, 100),
    os_version: s(m.version ?? m.osVersion, 100),
    first_seen: s(m.firstSeen, 40),
    last_seen: s(m.lastSeen, 40),
    last_ip: s(m.lastIpAddress, 60),
    aad_device_id: s(m.aadDeviceId, 100),
    potential_duplicate: m.isPotentialDuplication === true,
    found_by: foundBy,
  };
}

// --- the calls (one API call each) -------------------------------------------------------------

/** GET /api/machines/{id} (Machine.Read.All): the machine, or DefenderApiError 404. */
export function getMachine(c: DefenderCaller, id: string, budget?: Budget): Promise<MdeMachine> {
  return c.call<MdeMachine>('GET', `/api/machines/${encodeURIComponent(id)}`, { budget });
}

/** GET /api/machines?$filter=…&$top=… : the records of a name filter (a 404 means none, reference §15.8). */
export async function listMachines(
  c: DefenderCaller,
  filter: string,
  budget?: Budget,
): Promise<MdeMachine[]> {
  const res = await c.call<{ value?: MdeMachine[] }>('GET', '/api/machines', {
    query: { $filter: filter, $top: NAME_LOOKUP_TOP },
    budget,
  });
  return Array.isArray(res?.value) ? res.value : [];
}

/** GET /api/machines/findbyip(ip='…',timestamp=…): machines seen with that internal IP within ±15 min. */
export async function findMachinesByIp(
  c: DefenderCaller,
  ip: string,
  timestamp: string,
  budget?: Budget,
): Promise<MdeMachine[]> {
  const res = await c.call<{ value?: MdeMachine[] }>('GET', findByIpPath(ip, timestamp), { budget });
  return Array.isArray(res?.value) ? res.value : [];
}
