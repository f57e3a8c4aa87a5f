// Alert intake, activity side: read one page of new/updated alerts, normalize them to the spec §5
// Detection, and decide which are confirmed with a CEL rule. The workflow (workflows/defender-intake.ts)
// keeps the cursor and hands confirmed detections to `intakeDetections`.
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Environment } from '@marcbachmann/cel-js';
import type { Detection, DetectionStatus, Severity } from '../../compiler/ir';
import { CallBudget, type AlertEvidence, type DefenderAlert, type DefenderClient } from './client';
import type { DefenderLiveConfig } from './config';
import { toDefenderFailure } from './errors';

/** Default rule: an alert an analyst (or Defender) classified as a true positive. */
export const DEFAULT_CONFIRM_RULE = "detection.status == 'confirmed'";
export const MAX_PAGE_SIZE = 1_000;
const MAX_RULE_LENGTH = 2_000;
const MAX_LIST = 200;

export interface FetchAlertsRequest {
  /** ISO timestamp: alerts with lastUpdateTime >= since. */
  since: string;
  skip: number;
  top: number;
  /** CEL over `alert` (the API object) and `detection` (normalized); default DEFAULT_CONFIRM_RULE. */
  rule?: string;
}

export interface AlertEntry {
  /** `${id}|${lastUpdateTime}`: the idempotency key of this version of the alert. */
  key: string;
  lastUpdateTime: string;
}

export interface FetchAlertsResult {
  /** Alerts on the page as returned (a page shorter than `top` is the last one). */
  count: number;
  entries: AlertEntry[];
  confirmed: Array<{ key: string; detection: Detection }>;
  /** Alerts whose rule evaluation failed (treated as not confirmed, logged). */
  ruleErrors: number;
}

export interface DefenderAlertActivities {
  defenderFetchAlerts(req: FetchAlertsRequest): Promise<FetchAlertsResult>;
}

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

type Compiled = (ctx: Record<string, unknown>) => unknown;
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

function compileRule(rule: string): Compiled {
  let fn = compiled.get(rule);
  if (!fn) {
    try {
      checkAlertRule(rule);
    } catch (err) {
      throw ApplicationFailure.nonRetryable((err as Error).message, 'DefenderInvalidRule');
    }
    fn = celEnv.parse(rule) as unknown as Compiled;
    if (compiled.size > 32) compiled.clear();
    compiled.set(rule, fn);
  }
  return fn;
}

/** JSON-only copy for CEL: drops undefined, keeps null (so `alert.classification == null` works). */
function celValue(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v ?? null));
}

// --- activities -------------------------------------------------------------------------------

export function createAlertActivities(
  cfg: DefenderLiveConfig,
  client: DefenderClient,
): DefenderAlertActivities {
  return {
    async defenderFetchAlerts(req: FetchAlertsRequest): Promise<FetchAlertsResult> {
      const budget = new CallBudget();
      const since = String(req?.since ?? '');
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$/.test(since)) {
        throw ApplicationFailure.nonRetryable(
          `Defender: since must be an ISO UTC timestamp (got "${since.slice(0, 40)}")`,
          'DefenderInvalidRequest',
        );
      }
      const top = Math.min(Math.max(1, Math.floor(req.top)), MAX_PAGE_SIZE);
      const skip = Math.max(0, Math.floor(req.skip));
      const rule = compileRule(req.rule ?? DEFAULT_CONFIRM_RULE);
      let alerts: DefenderAlert[];
      try {
        alerts = await client.listAlerts(
          { filter: `lastUpdateTime ge ${since}`, top, skip, expandEvidence: true },
          budget,
        );
      } catch (err) {
        throw toDefenderFailure(err, 'alerts', 'list alerts');
      }
      const result: FetchAlertsResult = { count: alerts.length, entries: [], confirmed: [], ruleErrors: 0 };
      for (const alert of alerts) {
        if (!alert || typeof alert.id !== 'string' || typeof alert.lastUpdateTime !== 'string') {
          log.warn('Defender: skipping an alert without id or lastUpdateTime');
          continue;
        }
        const key = alertKey(alert);
        result.entries.push({ key, lastUpdateTime: alert.lastUpdateTime });
        const detection = normalizeAlert(alert, { portalUrl: cfg.portalUrl });
        let confirmed = false;
        try {
          confirmed = rule({ alert: celValue(alert), detection: celValue(detection) }) === true;
        } catch (err) {
          result.ruleErrors += 1;
          log.warn('Defender: intake rule failed on an alert; not confirmed', {
            alertId: alert.id,
            error: String((err as Error).message).split('\n')[0],
          });
        }
        if (confirmed) result.confirmed.push({ key, detection });
      }
      return result;
    },
  };
}

export function createDryRunAlertActivities(): DefenderAlertActivities {
  return {
    async defenderFetchAlerts(): Promise<FetchAlertsResult> {
      log.debug('DRY RUN: no Defender tenant configured, no alerts read');
      return { count: 0, entries: [], confirmed: [], ruleErrors: 0 };
    },
  };
}
