// Playbook Defender steps → API requests (spec "Defender steps" table; reference §4, §6.4, §9).
// Pure functions: parameter checking with clear messages, PascalCase machine-action bodies.
import crypto from 'node:crypto';
import net from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import type { DefenderAction } from '../../core/ir';
import type { DefenderSubmitRequest, MachineActionStatus } from '../../core/effects';

export interface MachineActionSpec {
  /** MachineAction.type as the API reports it. */
  type: string;
  /** Path segment under /api/machines/{id}/. */
  path: string;
  body(params: Record<string, string>): Record<string, string>;
  /** Expected MachineAction.scope, when the action has one (isolation type, scan type). */
  scope?(params: Record<string, string>): string;
}

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`Defender: ${message}`, 'DefenderInvalidRequest');
}

function choice(
  params: Record<string, string>,
  key: string,
  allowed: Record<string, string>,
  dflt: string,
): string {
  const raw = params[key];
  if (raw === undefined || raw === '') return dflt;
  const v = allowed[raw.toLowerCase()];
  if (!v)
    throw invalid(`${key} must be one of ${Object.keys(allowed).join(', ')} (got "${raw.slice(0, 40)}")`);
  return v;
}

const ISOLATION = { full: 'Full', selective: 'Selective' };
const SCAN = { quick: 'Quick', full: 'Full' };

export const MACHINE_ACTIONS: Partial<Record<DefenderAction, MachineActionSpec>> = {
  isolate: {
    type: 'Isolate',
    path: 'isolate',
    // IsolationType is not marked required in the docs; always send it (reference §4 notes).
    body: (p) => ({ Comment: p.Comment, IsolationType: choice(p, 'type', ISOLATION, 'Full') }),
    scope: (p) => choice(p, 'type', ISOLATION, 'Full'),
  },
  release: { type: 'Unisolate', path: 'unisolate', body: (p) => ({ Comment: p.Comment }) },
  scan: {
    type: 'RunAntiVirusScan',
    path: 'runAntiVirusScan',
    body: (p) => ({ Comment: p.Comment, ScanType: choice(p, 'type', SCAN, 'Quick') }),
    scope: (p) => choice(p, 'type', SCAN, 'Quick'),
  },
  collect_package: {
    type: 'CollectInvestigationPackage',
    path: 'collectInvestigationPackage',
    body: (p) => ({ Comment: p.Comment }),
  },
  restrict_apps: {
    type: 'RestrictCodeExecution',
    path: 'restrictCodeExecution',
    body: (p) => ({ Comment: p.Comment }),
  },
  unrestrict_apps: {
    type: 'UnrestrictCodeExecution',
    path: 'unrestrictCodeExecution',
    body: (p) => ({ Comment: p.Comment }),
  },
  quarantine_file: {
    type: 'StopAndQuarantineFile',
    path: 'StopAndQuarantineFile',
    body: (p) => {
      const sha1 = (p.sha1 ?? '').trim().toLowerCase();
      if (!/^[0-9a-f]{40}$/.test(sha1))
        throw invalid(`quarantine_file needs sha1 (40 hex digits), got "${sha1.slice(0, 80)}"`);
      return { Comment: p.Comment, Sha1: sha1 };
    },
  },
};

/** Machine ids are 40 hex digits in practice ("generally"); accept any short id safe in a path. */
export function checkMachineId(id: string | undefined): string {
  if (!id || !/^[A-Za-z0-9_-]{1,100}$/.test(id)) {
    throw invalid(`machine id must be 1-100 letters, digits, '-' or '_' (got "${String(id).slice(0, 100)}")`);
  }
  return id;
}

export function checkActionId(id: string): string {
  if (typeof id !== 'string' || !/^[A-Za-z0-9-]{1,100}$/.test(id)) {
    throw invalid(`machine action id must be a GUID (got "${String(id).slice(0, 100)}")`);
  }
  return id;
}

/** A short tag derived from the idempotency key, put in the action comment so a retry can find its action. */
export function idempotencyTag(key: string): string {
  return `ns-${crypto.createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

const MAX_COMMENT = 900;

/** The comment sent to Defender: the step's comment (or a default naming the run) plus the tag. */
export function actionComment(req: DefenderSubmitRequest, tag: string): string {
  const given = (req.params.comment ?? '').replace(/\s+/g, ' ').trim();
  const base =
    given ||
    `nightshift ${req.run.playbook} v${req.run.playbookVersion} step ${req.run.stepId}: detection ${req.run.detectionId}`;
  return `${base.slice(0, MAX_COMMENT)} [${tag}]`;
}

/** Maps API status strings, including the old "Canceled" spelling (reference §12.2). */
export function normalizeActionStatus(status: string | undefined | null): MachineActionStatus | undefined {
  switch ((status ?? '').toLowerCase()) {
    case 'pending':
      return 'Pending';
    case 'inprogress':
      return 'InProgress';
    case 'succeeded':
      return 'Succeeded';
    case 'failed':
      return 'Failed';
    case 'timeout':
      return 'TimeOut';
    case 'cancelled':
    case 'canceled':
      return 'Cancelled';
    default:
      return undefined;
  }
}

// --- update_alert ------------------------------------------------------------------------------

const ALERT_STATUS = {
  new: 'New',
  in_progress: 'InProgress',
  inprogress: 'InProgress',
  resolved: 'Resolved',
};
const CLASSIFICATION = {
  true_positive: 'TruePositive',
  truepositive: 'TruePositive',
  false_positive: 'FalsePositive',
  falsepositive: 'FalsePositive',
  informational_expected_activity: 'InformationalExpectedActivity',
  informationalexpectedactivity: 'InformationalExpectedActivity',
  expected_activity: 'InformationalExpectedActivity',
};

function pascal(s: string): string {
  return s
    .split(/[_\s-]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

/** PATCH body (camelCase, reference §6.4). Determination spellings conflict in the docs: passed as given. */
export function alertUpdateBody(
  params: Record<string, string>,
  comment: string | undefined,
): Record<string, string> {
  const body: Record<string, string> = {};
  if (params.status) body.status = choice(params, 'status', ALERT_STATUS, '');
  if (params.classification) body.classification = choice(params, 'classification', CLASSIFICATION, '');
  if (params.determination) {
    const d = pascal(params.determination);
    if (!/^[A-Za-z]{1,60}$/.test(d))
      throw invalid(`determination must be a word like Malware (got "${params.determination.slice(0, 60)}")`);
    body.determination = d;
  }
  if (comment) body.comment = comment;
  if (Object.keys(body).length === 0)
    throw invalid('update_alert needs at least one of status, classification, determination, comment');
  return body;
}

// --- block_indicator ---------------------------------------------------------------------------

const INDICATOR_TYPES: Record<string, string> = {
  sha256: 'FileSha256',
  sha1: 'FileSha1',
  md5: 'FileMd5',
  ip: 'IpAddress',
  url: 'Url',
  domain: 'DomainName',
};
// `alert` maps to Audit: the Alert action was retired in 2022 and Audit requires generateAlert (reference §9).
const INDICATOR_ACTIONS: Record<string, string> = {
  block: 'Block',
  block_and_remediate: 'BlockAndRemediate',
  alert: 'Audit',
};

function checkIndicatorValue(kind: string, value: string): string {
  const v = value.trim();
  const ok =
    (kind === 'sha256' && /^[0-9a-f]{64}$/i.test(v)) ||
    (kind === 'sha1' && /^[0-9a-f]{40}$/i.test(v)) ||
    (kind === 'md5' && /^[0-9a-f]{32}$/i.test(v)) ||
    (kind === 'ip' && net.isIP(v) !== 0) ||
    (kind === 'domain' && /^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/i.test(v)) ||
    (kind === 'url' && v.length <= 2048 && /^\S+$/.test(v));
  if (!ok) throw invalid(`block_indicator value is not a valid ${kind} (got "${v.slice(0, 100)}")`);
  return kind === 'sha256' || kind === 'sha1' || kind === 'md5' ? v.toLowerCase() : v;
}

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** `expires`: an ISO timestamp, or a duration from now such as 30d, 12h, 1h30m. */
export function indicatorExpiry(expires: string | undefined, nowMs: number): string | undefined {
  if (!expires) return undefined;
  const m = DURATION.exec(expires.trim());
  if (m && expires.trim() !== '') {
    const [d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0));
    return new Date(nowMs + (((d * 24 + h) * 60 + mi) * 60 + s) * 1000).toISOString();
  }
  const at = Date.parse(expires);
  if (Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}/.test(expires)) {
    throw invalid(
      `block_indicator expires must be an ISO timestamp or a duration like 30d (got "${expires.slice(0, 60)}")`,
    );
  }
  return new Date(at).toISOString();
}

export function indicatorBody(req: DefenderSubmitRequest, nowMs: number): Record<string, unknown> {
  const p = req.params;
  const kind = (p.type ?? '').toLowerCase();
  const indicatorType = INDICATOR_TYPES[kind];
  if (!indicatorType)
    throw invalid(
      `block_indicator type must be one of ${Object.keys(INDICATOR_TYPES).join(', ')} (got "${(p.type ?? '').slice(0, 40)}")`,
    );
  const action = INDICATOR_ACTIONS[(p.action ?? 'block').toLowerCase()];
  if (!action)
    throw invalid(
      `block_indicator action must be one of ${Object.keys(INDICATOR_ACTIONS).join(', ')} (got "${(p.action ?? '').slice(0, 40)}")`,
    );
  const title = (p.title ?? '').trim() || `Nightshift: ${req.run.playbook} (${req.run.detectionId})`;
  const body: Record<string, unknown> = {
    indicatorValue: checkIndicatorValue(kind, p.value ?? ''),
    indicatorType,
    action,
    title: title.slice(0, 250),
    description: (
      (p.description ?? '').trim() ||
      `Submitted by nightshift ${req.run.playbook} v${req.run.playbookVersion} step ${req.run.stepId} for detection ${req.run.detectionId}`
    ).slice(0, 1000),
    severity: choice(
      p,
      'severity',
      { informational: 'Informational', low: 'Low', medium: 'Medium', high: 'High' },
      'High',
    ),
    generateAlert: action === 'Audit',
  };
  const expirationTime = indicatorExpiry(p.expires, nowMs);
  if (expirationTime) body.expirationTime = expirationTime;
  return body;
}
