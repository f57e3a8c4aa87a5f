// The Defender effects of issue 15 as the engine asks for them: finding and knowing a machine, hunting,
// live response scripts, incidents. Types and pure constants only (workflow-safe, imports nothing of
// ours but core), so the workflow bundle, simulate, activities and integrations share one shape.
import type { DefenderActivities, DefenderAlertActivities, MachineActionStatus, RunRef } from './effects';

// ---------------------------------------------------------------------------------------------
// Machines: `device.mde`

/** A machine record a lookup saw, as a failure or `device.mde.candidates` lists it. */
export interface Candidate {
  id: string;
  name: string;
  health: string;
  onboarding: string;
  last_seen: string;
  merged_into: string;
  potential_duplicate: boolean;
}

/**
 * `device.mde` in CEL: what Defender knows about the device. `status` says how the lookup went:
 * `found`; `not_found` / `ambiguous` (no machine, or several: `candidates`); `failed` (Defender could not
 * be asked: `error` — such a device counts as protected for automatic isolation); `dry_run` (no tenant);
 * `` (not looked up).
 */
export interface DeviceEnrichment {
  status: '' | 'found' | 'not_found' | 'ambiguous' | 'failed' | 'dry_run';
  id: string;
  name: string;
  tags: string[];
  group: string;
  group_id: number;
  health: string;
  onboarding: string;
  risk: string;
  exposure: string;
  value: string;
  os: string;
  os_version: string;
  first_seen: string;
  last_seen: string;
  last_ip: string;
  aad_device_id: string;
  potential_duplicate: boolean;
  /** How it was found: id, name or ip. */
  found_by: string;
  error: string;
  candidates: Candidate[];
}

/** The CEL field types of DeviceEnrichment (one source for the load-time types and the zero value). */
export const ENRICHMENT_FIELDS: Record<keyof DeviceEnrichment, string> = {
  status: 'string',
  id: 'string',
  name: 'string',
  tags: 'list<string>',
  group: 'string',
  group_id: 'int',
  health: 'string',
  onboarding: 'string',
  risk: 'string',
  exposure: 'string',
  value: 'string',
  os: 'string',
  os_version: 'string',
  first_seen: 'string',
  last_seen: 'string',
  last_ip: 'string',
  aad_device_id: 'string',
  potential_duplicate: 'bool',
  found_by: 'string',
  error: 'string',
  candidates: 'list<MdeCandidate>',
};

export const CANDIDATE_FIELDS: Record<keyof Candidate, string> = {
  id: 'string',
  name: 'string',
  health: 'string',
  onboarding: 'string',
  last_seen: 'string',
  merged_into: 'string',
  potential_duplicate: 'bool',
};

export function emptyEnrichment(status: DeviceEnrichment['status'] = ''): DeviceEnrichment {
  return {
    status,
    id: '',
    name: '',
    tags: [],
    group: '',
    group_id: 0,
    health: '',
    onboarding: '',
    risk: '',
    exposure: '',
    value: '',
    os: '',
    os_version: '',
    first_seen: '',
    last_seen: '',
    last_ip: '',
    aad_device_id: '',
    potential_duplicate: false,
    found_by: '',
    error: '',
    candidates: [],
  };
}

export interface MachineLookupRequest {
  key: string;
  run: RunRef;
  /** What the detection says: an MDE id, a host name, an IP. */
  device: { id: string; name?: string; ip?: string };
  /** The detection's time: findbyip looks ±15 min around it. */
  detectedAt: string;
}

export interface MachineLookupResult {
  /** `status` found → `id` is the machine to act on; not_found / ambiguous → `error` and `candidates`. */
  mde: DeviceEnrichment;
  dryRun: boolean;
}

// ---------------------------------------------------------------------------------------------
// Hunting

/** The query of a hunt: the playbook's text and the values of its holes, kept apart until quoted. */
export interface KqlTemplate {
  /** Literal query text; `text.length === values.length + 1`. */
  text: string[];
  /** Values of the holes, as the expressions gave them. */
  values: unknown[];
}

/** Column types a playbook may declare for `steps.<id>.rows`. */
export type HuntColumnType = 'string' | 'int' | 'bool' | 'dyn';
export const HUNT_COLUMN_TYPES: readonly HuntColumnType[] = ['string', 'int', 'bool', 'dyn'];

export interface HuntRequest {
  key: string;
  run: RunRef;
  query: KqlTemplate;
  limit: number;
  columns?: Record<string, HuntColumnType>;
  /** ISO 8601 duration or interval (default: the API's 30 days). */
  timespan?: string;
}

export interface HuntResult {
  columns: Array<{ name: string; type: string }>;
  rows: Array<Record<string, unknown>>;
  row_count: number;
  truncated: boolean;
  dryRun: boolean;
}

// ---------------------------------------------------------------------------------------------
// Live response

export type LiveResponseAction = 'kill_process' | 'delete_file';
export const LIVE_RESPONSE_ACTIONS: readonly LiveResponseAction[] = ['kill_process', 'delete_file'];
export type ScriptPlatform = 'windows' | 'unix';

/** The script for a machine's OS (`device.mde.os`, Defender's osPlatform): bash for Linux and macOS. */
export function platformOf(osPlatform: string | undefined): ScriptPlatform {
  return /linux|mac|ubuntu|debian|redhat|rhel|centos|suse|oracle|amazon|fedora/i.test(osPlatform ?? '')
    ? 'unix'
    : 'windows';
}

export interface EnsureScriptRequest {
  key: string;
  run: RunRef;
  action: LiveResponseAction;
  platform: ScriptPlatform;
}

export interface EnsureScriptResult {
  fileName: string;
  sha256: string;
  /** Uploaded by this step (absent or different before). */
  uploaded: boolean;
  dryRun: boolean;
}

export interface RunScriptRequest {
  key: string;
  run: RunRef;
  action: LiveResponseAction;
  platform: ScriptPlatform;
  machineId: string;
  /** process_id, process_name (kill_process); path, sha256 (delete_file); comment. */
  params: Record<string, string>;
}

export interface RunScriptResult {
  actionId?: string;
  status: MachineActionStatus;
  dryRun: boolean;
}

export interface ScriptResultRequest {
  actionId: string;
  machineId: string;
  /** The action's final status: Succeeded reads the script's transcript, others the command errors. */
  status: MachineActionStatus;
}

/** What the script did, as the step result shows it (bounded for workflow history). */
export interface ScriptOutcome {
  script_name: string;
  /** -1 when the script did not run (the action failed). */
  exit_code: number;
  /** The script's result line: killed, not_running, deleted, absent, refused, failed; '' without one. */
  outcome: string;
  detail: Record<string, string | number | boolean>;
  output: string;
  errors: string;
}

// ---------------------------------------------------------------------------------------------
// Incidents

export interface IncidentAlertSummary {
  id: string;
  title: string;
  severity: string;
  status: string;
  category: string;
  service_source: string;
  detection_source: string;
  created_at: string;
  first_activity: string;
  last_activity: string;
  mitre: string[];
  device_ids: string[];
}

export interface IncidentEntities {
  devices: Array<{ id: string; name: string; os: string; health: string; risk: string; tags: string[] }>;
  users: Array<{ name: string; domain: string; upn: string; sid: string }>;
  files: Array<{ sha1: string; sha256: string; name: string; path: string }>;
  processes: Array<{ id: number; command_line: string; file: string; sha1: string; created_at: string }>;
  ips: string[];
  urls: string[];
  /** Entities of other types (mailboxes, registry values, …), counted by type. */
  other: Record<string, number>;
}

/**
 * The incident in the run state (`RunState.incidents[]`): what happened, where and to what, bounded so a
 * large incident cannot swell the workflow history. Documented in docs/defender.md "Incidents".
 */
export interface IncidentSummary {
  id: string;
  name: string;
  status: string;
  severity: string;
  classification: string;
  determination: string;
  assigned_to: string;
  tags: string[];
  created_at: string;
  updated_at: string;
  /** The incident this one was merged into (status Redirected), or ''. */
  redirected_to: string;
  url: string;
  alerts: IncidentAlertSummary[];
  entities: IncidentEntities;
  /** Some alerts or entities were left out (bounds in integrations/defender/incidents.ts). */
  truncated: boolean;
}

export interface IncidentReadRequest {
  key: string;
  run: RunRef;
  incidentId: string;
}

export interface IncidentReadResult {
  incident?: IncidentSummary;
  /** Why it could not be read (not found, no permission): shown in the run state, never fatal. */
  error?: string;
  dryRun: boolean;
}

// PATCH values of update_incident, keyed by the playbook's spelling (the compiler checks literals
// against them; integrations/defender/incidents.ts writes the body with them).
/** PATCH values (reference §8; defender-xdr/api-update-incidents.md), keyed by the playbook's spelling. */
export const INCIDENT_STATUS: Record<string, string> = {
  active: 'Active',
  in_progress: 'InProgress',
  resolved: 'Resolved',
};
export const INCIDENT_CLASSIFICATION: Record<string, string> = {
  true_positive: 'TruePositive',
  informational_expected_activity: 'InformationalExpectedActivity',
  false_positive: 'FalsePositive',
};
/**
 * Determinations per classification, as the update page lists them. The docs spell the false-positive
 * "not malicious" value `Clean` and note the public name may change; `not_malicious` sends `Clean`.
 */
export const INCIDENT_DETERMINATION: Record<string, Record<string, string>> = {
  TruePositive: {
    multi_staged_attack: 'MultiStagedAttack',
    malicious_user_activity: 'MaliciousUserActivity',
    compromised_account: 'CompromisedAccount',
    malware: 'Malware',
    phishing: 'Phishing',
    unwanted_software: 'UnwantedSoftware',
    other: 'Other',
  },
  InformationalExpectedActivity: {
    security_testing: 'SecurityTesting',
    line_of_business_application: 'LineOfBusinessApplication',
    confirmed_activity: 'ConfirmedActivity',
    other: 'Other',
  },
  FalsePositive: {
    not_malicious: 'Clean',
    not_enough_data_to_validate: 'NoEnoughDataToValidate',
    other: 'Other',
  },
};

/** update_incident values, in the playbook's spelling (integrations/defender/incidents.ts maps them). */
export interface IncidentUpdate {
  status?: string;
  classification?: string;
  determination?: string;
  assigned_to?: string;
  /** Tags to add; the incident's other tags are kept. */
  tags?: string[];
  comment?: string;
}

export interface IncidentUpdateRequest {
  key: string;
  run: RunRef;
  incidentIds: string[];
  update: IncidentUpdate;
}

export interface IncidentUpdateResult {
  updated: string[];
  dryRun: boolean;
}

export interface DefenderDepthActivities {
  defenderLookupMachine(req: MachineLookupRequest): Promise<MachineLookupResult>;
  defenderHunt(req: HuntRequest): Promise<HuntResult>;
  defenderEnsureScript(req: EnsureScriptRequest): Promise<EnsureScriptResult>;
  defenderRunScript(req: RunScriptRequest): Promise<RunScriptResult>;
  defenderScriptResult(req: ScriptResultRequest): Promise<ScriptOutcome>;
  defenderReadIncident(req: IncidentReadRequest): Promise<IncidentReadResult>;
  defenderUpdateIncident(req: IncidentUpdateRequest): Promise<IncidentUpdateResult>;
}

/** Everything the Defender task queue serves. */
export type AllDefenderActivities = DefenderActivities & DefenderAlertActivities & DefenderDepthActivities;
