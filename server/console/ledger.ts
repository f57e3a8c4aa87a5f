// Which devices are contained now, and the audit, from the digests of runs and releases: a device is
// contained while the last final Defender action on it (by any run or release) is a containment.
import type { AuditEntry, ContainedDevice } from '../../console/model';
import type { ReleaseInput, ReleaseOutcome } from '../../workflows/device-release';
import { CANCEL_IDENTITY_PREFIX } from './story';
import type { RunDigest } from './history';

export interface DigestedRun {
  workflowId: string;
  playbook?: string;
  digest: RunDigest;
}

/** Containment and its undoing, per kind: isolation, and app restriction. */
const DIMENSION: Record<string, { dim: string; contains: boolean }> = {
  isolate: { dim: 'isolation', contains: true },
  release: { dim: 'isolation', contains: false },
  restrict_apps: { dim: 'restriction', contains: true },
  unrestrict_apps: { dim: 'restriction', contains: false },
};

interface Edge {
  at: string;
  deviceId: string;
  dim: string;
  contains: boolean;
  action: string;
  run: DigestedRun;
  actionId?: string;
  dryRun: boolean;
}

function isRelease(r: DigestedRun): boolean {
  return r.digest.workflowType === 'deviceRelease';
}

export function containedDevices(
  runs: DigestedRun[],
  deviceInfo: (id: string) => { name?: string; tags: string[]; protected?: boolean } | undefined,
  personName: (id: string) => string,
): ContainedDevice[] {
  const edges: Edge[] = [];
  for (const run of runs) {
    for (const a of run.digest.defender) {
      const dim = DIMENSION[a.action];
      if (!dim || !a.machineId || a.status !== 'Succeeded') continue;
      edges.push({
        at: a.finalAt ?? a.at,
        deviceId: a.machineId,
        dim: dim.dim,
        contains: dim.contains,
        action: a.action,
        run,
        actionId: a.actionId,
        dryRun: a.dryRun,
      });
    }
  }
  edges.sort((a, b) => a.at.localeCompare(b.at));
  const last = new Map<string, Edge>();
  for (const e of edges) last.set(`${e.deviceId}\u0000${e.dim}`, e);

  // Releases asked and not finished yet.
  const releasing = new Map<string, { by: string; at: string }>();
  for (const r of runs) {
    if (!isRelease(r) || r.digest.status !== 'running') continue;
    const input = r.digest.input as ReleaseInput | undefined;
    if (!input) continue;
    const dim = DIMENSION[input.action]?.dim;
    releasing.set(`${input.deviceId}\u0000${dim}`, {
      by: personName(input.personId),
      at: r.digest.startedAt,
    });
  }

  const out: ContainedDevice[] = [];
  for (const [key, e] of last) {
    if (!e.contains) continue;
    const info = deviceInfo(e.deviceId);
    out.push({
      deviceId: e.deviceId,
      name: info?.name,
      action: e.action,
      since: e.at,
      runId: e.run.workflowId,
      playbook: e.run.playbook,
      actionId: e.actionId,
      dryRun: e.dryRun,
      releasing: releasing.get(key),
      protected: info?.protected,
      tags: info?.tags ?? [],
    });
  }
  return out.sort((a, b) => b.since.localeCompare(a.since));
}

/** Every decision, acknowledgement, release and cancel in the digests, newest first. */
export function auditEntries(runs: DigestedRun[], personName: (id: string) => string): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (const run of runs) {
    const d = run.digest;
    if (isRelease(run)) {
      const input = d.input as ReleaseInput | undefined;
      if (!input) continue;
      const result = d.result as ReleaseOutcome | undefined;
      const final = d.defender[0];
      out.push({
        at: d.startedAt,
        kind: input.action === 'release' ? 'release' : 'unrestrict',
        personId: input.personId,
        person: personName(input.personId),
        outcome:
          d.status === 'running'
            ? 'requested'
            : (result?.status ?? final?.status ?? d.status).toString().toLowerCase() +
              (result?.dryRun ? ' (dry run)' : ''),
        channel: input.channel,
        runId: run.workflowId,
        ...(input.containedBy?.workflowId ? { containedBy: input.containedBy.workflowId } : {}),
        subject: input.deviceId,
        detail: input.reason,
      });
      continue;
    }
    const questions = new Map(d.asks.map((a) => [a.request?.approvalId, a.request?.question]));
    const messages = new Map(d.pages.map((p) => [p.request?.pageId, p.request?.message]));
    for (const x of d.decisions)
      out.push({
        at: x.at,
        kind: 'decision',
        personId: x.personId ?? '',
        person: x.personId ? personName(x.personId) : '',
        outcome: x.outcome,
        channel: x.channel,
        runId: run.workflowId,
        subject: x.approvalId,
        detail: x.question ?? questions.get(x.approvalId) ?? '',
      });
    for (const x of d.acks)
      out.push({
        at: x.at,
        kind: 'ack',
        personId: x.personId,
        person: personName(x.personId),
        outcome: 'acknowledged',
        channel: x.channel,
        runId: run.workflowId,
        subject: x.pageId,
        detail: messages.get(x.pageId) ?? '',
      });
    if (d.cancelRequested) {
      const id = d.cancelRequested.identity;
      const console = id.startsWith(CANCEL_IDENTITY_PREFIX);
      const personId = console ? id.slice(CANCEL_IDENTITY_PREFIX.length) : '';
      out.push({
        at: d.cancelRequested.at,
        kind: 'cancel',
        personId,
        person: console ? personName(personId) : id,
        outcome: 'cancelled',
        channel: console ? 'console' : 'temporal',
        runId: run.workflowId,
        subject: run.workflowId,
        detail: d.cancelRequested.reason,
      });
    }
  }
  return out.sort((a, b) => b.at.localeCompare(a.at));
}

const AUDIT_COLUMNS: Array<keyof AuditEntry> = [
  'at',
  'kind',
  'personId',
  'person',
  'outcome',
  'channel',
  'runId',
  'subject',
  'detail',
];

/**
 * RFC 4180 CSV. A cell that a spreadsheet would read as a formula (=, +, -, @, tab, CR first) is
 * prefixed with a quote mark: the audit holds text from detections and people (OWASP CSV injection).
 */
export function auditCsv(entries: AuditEntry[]): string {
  const cell = (v: string) => {
    const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [AUDIT_COLUMNS.join(',')];
  for (const e of entries) lines.push(AUDIT_COLUMNS.map((c) => cell(String(e[c] ?? ''))).join(','));
  return lines.join('\r\n') + '\r\n';
}
