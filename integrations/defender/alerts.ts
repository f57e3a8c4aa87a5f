// Defender alerts as detections: normalize an alert (the API's shape) to the spec §5 Detection, and the
// CEL rule that decides which are confirmed. The poller's activity (activities/defender-alerts.ts) and
// the HTTP intake of posted alerts (intake/formats/) both use it.
import { ApplicationFailure } from '@temporalio/common';
import { Environment } from '@marcbachmann/cel-js';
import type { Detection, DetectionStatus, Severity } from '../../core/detection';
import { DefenderFailure } from '../../core/failures';
import { parseDuration } from '../../core/duration';
import { ConfigError } from '../../platform/config/settings';
import { readVar, type Env } from '../../platform/config/variables';
import type { AlertEvidence, DefenderAlert } from './client';

/** Default rule: an alert an analyst (or Defender) classified as a true positive. */
export const DEFAULT_CONFIRM_RULE = "detection.status == 'confirmed'";
export const MAX_PAGE_SIZE = 1_000;
const MAX_RULE_LENGTH = 2_000;
const MAX_LIST = 200;

// --- normalization ---------------------------------------------------------------------------

/**
 * Severity: UnSpecified → informational (Defender has no "critical"; nothing is raised above what the
 * source said). Unknown values → informational.
 */
export function mapSeverity(s: string | null | undefined): Severity {
  switch ((s ?? '').toLowerCase()) {
    case 'high':
      return 'high';
    case 'medium':
      return 'medium';
    case 'low':
      return 'low';
    default:
      return 'informational';
  }
}

/**
 * Status, by precedence: classification TruePositive → confirmed; FalsePositive or
 * InformationalExpectedActivity (benign) → false_positive; otherwise status Resolved → resolved;
 * otherwise (New/InProgress, unclassified) → suspected.
 */
export function mapStatus(a: Pick<DefenderAlert, 'classification' | 'status'>): DetectionStatus {
  const c = (a.classification ?? '').toLowerCase();
  if (c === 'truepositive') return 'confirmed';
  if (c === 'falsepositive' || c === 'informationalexpectedactivity') return 'false_positive';
  if ((a.status ?? '').toLowerCase() === 'resolved') return 'resolved';
  return 'suspected';
}

function s(v: unknown, max = 1_000): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, max) : undefined;
}

function uniq<T>(xs: T[], key: (x: T) => string): T[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const k = key(x);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function alertKey(a: Pick<DefenderAlert, 'id' | 'lastUpdateTime'>): string {
  return `${a.id}|${a.lastUpdateTime ?? ''}`;
}

/** Defender alert (reference §6.2/§11.1) → normalized detection (spec §5). Unknown fields are ignored. */
export function normalizeAlert(alert: DefenderAlert, opts: { portalUrl?: string } = {}): Detection {
  if (!alert || typeof alert.id !== 'string' || alert.id === '') throw new Error('alert has no id');
  const evidence: AlertEvidence[] = Array.isArray(alert.evidence)
    ? alert.evidence.slice(0, 5 * MAX_LIST)
    : [];
  const byType = (t: string) => evidence.filter((e) => (e?.entityType ?? '').toLowerCase() === t);

  const users = uniq(
    [
      ...(alert.relatedUser && s(alert.relatedUser.userName)
        ? [{ name: s(alert.relatedUser.userName, 200)!, domain: s(alert.relatedUser.domainName, 200) }]
        : []),
      ...byType('user')
        .filter((e) => s(e.accountName) || s(e.userPrincipalName))
        .map((e) => ({
          name: s(e.accountName, 200) ?? s(e.userPrincipalName, 200)!.split('@')[0],
          domain: s(e.domainName, 200),
          upn: s(e.userPrincipalName, 300),
        })),
    ],
    (u) => `${u.domain ?? ''}\\${u.name}`.toLowerCase(),
  )
    .slice(0, MAX_LIST)
    .map(
      (u) =>
        Object.fromEntries(
          Object.entries(u).filter(([, v]) => v !== undefined),
        ) as Detection['users'][number],
    );

  const files = uniq(
    byType('file').map((e) =>
      Object.fromEntries(
        Object.entries({
          sha1: s(e.sha1, 64)?.toLowerCase(),
          sha256: s(e.sha256, 64)?.toLowerCase(),
          path: s(e.filePath, 1_000),
          name: s(e.fileName, 300),
        }).filter(([, v]) => v !== undefined),
      ),
    ),
    (f) => JSON.stringify(f),
  ).slice(0, MAX_LIST);

  const processes = byType('process')
    .slice(0, MAX_LIST)
    .map((e) =>
      Object.fromEntries(
        Object.entries({
          pid: typeof e.processId === 'number' ? e.processId : undefined,
          command_line: s(e.processCommandLine, 2_000),
          sha1: s(e.sha1, 64)?.toLowerCase(),
          sha256: s(e.sha256, 64)?.toLowerCase(),
          path: s(e.filePath, 1_000),
          name: s(e.fileName, 300),
        }).filter(([, v]) => v !== undefined),
      ),
    );

  const ips = [...new Set(evidence.map((e) => s(e?.ipAddress, 100)).filter((x): x is string => !!x))].slice(
    0,
    MAX_LIST,
  );
  const urls = [...new Set(evidence.map((e) => s(e?.url, 2_000)).filter((x): x is string => !!x))].slice(
    0,
    MAX_LIST,
  );

  const machineId = s(alert.machineId, 100);
  const detection: Detection = {
    id: alert.id.slice(0, 200),
    source: 'defender',
    title: s(alert.title, 500) ?? '(untitled Defender alert)',
    severity: mapSeverity(alert.severity),
    status: mapStatus(alert),
    mitre: Array.isArray(alert.mitreTechniques)
      ? alert.mitreTechniques.filter((t): t is string => typeof t === 'string').slice(0, MAX_LIST)
      : [],
    alert_ids: [alert.id.slice(0, 200)],
    detected_at:
      s(alert.firstEventTime, 40) ?? s(alert.alertCreationTime, 40) ?? s(alert.lastUpdateTime, 40) ?? '',
    devices: machineId ? [{ id: machineId, name: s(alert.computerDnsName, 300) ?? machineId, tags: [] }] : [],
    users,
    evidence: { files, processes, ips, urls },
  };
  const category = s(alert.category, 200);
  if (category) detection.category = category;
  if (alert.incidentId !== null && alert.incidentId !== undefined && String(alert.incidentId) !== '') {
    detection.incident_id = String(alert.incidentId).slice(0, 100);
  }
  if (opts.portalUrl) detection.url = `${opts.portalUrl}/alerts/${encodeURIComponent(alert.id)}`;
  return detection;
}

// --- the confirmation rule --------------------------------------------------------------------

export type Compiled = (ctx: Record<string, unknown>) => unknown;
const celEnv = new Environment({ limits: { maxAstNodes: 2_000, maxDepth: 50 } })
  .registerVariable('alert', 'map')
  .registerVariable('detection', 'map');
const compiled = new Map<string, Compiled>();

/** Parses and type-checks a rule; throws a one-line Error naming the problem. */
export function checkAlertRule(rule: string): void {
  if (rule.length > MAX_RULE_LENGTH)
    throw new Error(`Defender intake rule is longer than ${MAX_RULE_LENGTH} characters`);
  const res = celEnv.check(rule) as { valid: boolean; type?: unknown; error?: Error };
  if (!res.valid)
    throw new Error(
      `Defender intake rule "${rule.slice(0, 200)}": ${String(res.error?.message ?? 'invalid').split('\n')[0]}`,
    );
  const type = String(res.type);
  if (type !== 'bool' && type !== 'dyn')
    throw new Error(`Defender intake rule "${rule.slice(0, 200)}" must be a bool, not ${type}`);
}

/** The rule, checked and compiled once (a bad rule is a final DefenderInvalidRule failure). */
export function compileRule(rule: string): Compiled {
  let fn = compiled.get(rule);
  if (!fn) {
    try {
      checkAlertRule(rule);
    } catch (err) {
      throw ApplicationFailure.nonRetryable((err as Error).message, DefenderFailure.InvalidRule);
    }
    fn = celEnv.parse(rule) as unknown as Compiled;
    if (compiled.size > 32) compiled.clear();
    compiled.set(rule, fn);
  }
  return fn;
}

/** JSON-only copy for CEL: drops undefined, keeps null (so `alert.classification == null` works). */
export function celValue(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v ?? null));
}

/** The alert poller's settings: on unless DEFENDER_INTAKE=false; DEFENDER_INTAKE_INTERVAL, DEFENDER_INTAKE_RULE. */
export interface DefenderIntakeSettings {
  enabled: boolean;
  intervalMs: number;
  rule?: string;
}

export function defenderIntakeFromEnv(env: Env): DefenderIntakeSettings {
  const interval = readVar(env, 'DEFENDER_INTAKE_INTERVAL') ?? '1m';
  const intervalMs = parseDuration(interval);
  if (intervalMs === null || intervalMs < 10_000) {
    throw new ConfigError(
      `DEFENDER_INTAKE_INTERVAL="${interval}" must be a duration of at least 10s, e.g. 1m.`,
    );
  }
  const rule = readVar(env, 'DEFENDER_INTAKE_RULE') || undefined;
  if (rule) {
    try {
      checkAlertRule(rule);
    } catch (err) {
      throw new ConfigError(`DEFENDER_INTAKE_RULE: ${(err as Error).message}`);
    }
  }
  return { enabled: readVar(env, 'DEFENDER_INTAKE') !== 'false', intervalMs, rule };
}
