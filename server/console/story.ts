// A run's story and its waiting approvals and pages, from its history (what happened, durably) and its
// live state (what it waits for now, when a worker answers the query). Pure: no Temporal calls here.
import type { Detection, Device } from '../../core/detection';
import type { OrgIR, PlaybookIR, StepIR } from '../../core/ir';
import type { Recipient } from '../../core/effects';
import type { RunState } from '../../core/messages';
import type {
  AnsweredView,
  DetectionView,
  DeviceView,
  StepView,
  Story,
  TimelineEntry,
  WaitingItem,
} from '../../console/model';
import { interactionAnchor } from '../../console/paths';
import type { RunDigest } from './history';

export interface RunView {
  workflowId: string;
  digest: RunDigest;
  /** The `state` query's answer; null when no worker answered it. */
  state: RunState | null;
  /** Temporal's status name (running, completed, … in lower case). */
  temporalStatus: string;
  closedAt: string | null;
}

export interface StoryContext {
  /** The organisation now (names of people); the run's own pinned org is the fallback. */
  org: OrgIR;
  viewerPersonId: string;
  /** policy.protected_devices of the run's pinned org. */
  isProtected: (d: Device) => boolean;
  budget?: WaitingItem['budget'];
  /** Defender portal (alert and incident links), when the tenant's cloud has one. */
  portalUrl?: string;
}

interface RunInput {
  ir?: PlaybookIR;
  org?: OrgIR;
  detection?: Detection;
  groupKey?: string;
}

function runInput(run: RunView): RunInput {
  return (run.digest.input ?? {}) as RunInput;
}

export function personName(org: OrgIR, pinned: OrgIR | undefined, id: string | null | undefined): string {
  if (!id) return '';
  return org.people[id]?.name ?? pinned?.people[id]?.name ?? id;
}

function stepKind(step: StepIR | undefined): string {
  if (!step) return '';
  return step.run.kind === 'defender' ? `defender.${step.run.action}` : step.run.kind;
}

export function runDevices(run: RunView, isProtected: (d: Device) => boolean): DeviceView[] {
  const seen = new Map<string, DeviceView>();
  for (const { detection } of run.digest.detections) {
    for (const d of detection.devices ?? []) {
      if (seen.has(d.id)) continue;
      seen.set(d.id, {
        id: d.id,
        name: d.name || d.id,
        os: d.os,
        ip: d.ip,
        tags: d.tags ?? [],
        protected: safe(() => isProtected(d), false),
      });
    }
  }
  // Devices the run knows only by id (state without their detection) still show.
  for (const id of run.state?.deviceIds ?? [])
    if (!seen.has(id)) seen.set(id, { id, name: id, tags: [], protected: false });
  return [...seen.values()];
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

function recipientName(org: OrgIR, pinned: OrgIR | undefined, to: Recipient | undefined): string {
  if (!to) return '?';
  return to.type === 'channel' ? to.id : personName(org, pinned, to.person?.id);
}

/** The approvals and pages a run waits for, as the inbox and the story show them. */
export function waitingItems(run: RunView, ctx: StoryContext): WaitingItem[] {
  const state = run.state;
  if (!state || run.temporalStatus !== 'running') return [];
  const input = runInput(run);
  const pinned = input.org;
  const steps = new Map((input.ir?.steps ?? []).map((s) => [s.id, s]));
  const first = run.digest.detections[0]?.detection;
  const devices = runDevices(run, ctx.isProtected);
  const name = (id: string) => personName(ctx.org, pinned, id);
  const out: WaitingItem[] = [];
  for (const a of state.pendingApprovals) {
    const step = steps.get(a.stepId);
    const onTimeout = step?.run.kind === 'approval' ? step.run.onTimeout : undefined;
    out.push({
      kind: 'approval',
      id: a.approvalId,
      runId: run.workflowId,
      playbook: state.playbook,
      stepId: a.stepId,
      text: a.question,
      code: a.code,
      severity: first?.severity,
      detectionTitle: first?.title,
      devices,
      askedAt: a.askedAt,
      deadline: a.expiresAt,
      onDeadline: onTimeout ? `${onTimeout} automatically` : 'decided by its timeout',
      asked: run.digest.asks
        .filter((x) => x.request?.approvalId === a.approvalId)
        .map((x) => ({
          who: recipientName(ctx.org, pinned, x.request.to),
          channel:
            x.result?.channel ??
            x.request.via ??
            (x.request.to?.type === 'channel' ? x.request.to.channel.kind : '?'),
          delivered: x.ok !== false,
          dryRun: !!x.result?.dryRun,
          error: x.error,
        })),
      answerers: a.approvers.map(name),
      ...(a.stages
        ? {
            stages: a.stages.map((st) => ({
              stage: st.stage,
              at: st.at,
              status: st.status,
              people: st.people.map(name),
              ...(st.via ? { via: st.via } : {}),
            })),
          }
        : {}),
      budget: onTimeout === 'approved' ? ctx.budget : undefined,
      mine: a.approvers.includes(ctx.viewerPersonId),
    });
  }
  for (const p of state.pendingPages) {
    const step = steps.get(p.stepId);
    const live = state.steps.find((s) => s.page_id === p.pageId);
    const escalateTo = step?.run.kind === 'page' ? step.run.escalateTo : [];
    const lastRound = escalateTo.length === 0 || escalateTo.every((id) => p.paged.includes(id));
    out.push({
      kind: 'page',
      id: p.pageId,
      runId: run.workflowId,
      playbook: state.playbook,
      stepId: p.stepId,
      text:
        run.digest.pages.find((x) => x.request?.pageId === p.pageId)?.request.message ??
        `Page of step ${p.stepId}`,
      code: p.code,
      severity: first?.severity,
      detectionTitle: first?.title,
      devices,
      askedAt: p.pagedAt,
      deadline: typeof live?.deadline === 'string' ? live.deadline : undefined,
      onDeadline: lastRound
        ? 'the page ends unacknowledged'
        : `escalates to ${escalateTo.map(name).join(', ')}`,
      asked: run.digest.pages
        .filter((x) => x.request?.pageId === p.pageId)
        .map((x) => ({
          who: name(x.request.person?.id),
          channel: x.request.via,
          delivered: x.ok !== false,
          dryRun: !!x.result?.dryRun,
          error: x.error,
        })),
      answerers: p.paged.map(name),
      mine: p.paged.includes(ctx.viewerPersonId),
    });
  }
  return out;
}

const HIDDEN_RESULT_FIELDS = new Set([
  'id',
  'status',
  'reason',
  'started_at',
  'finished_at',
  'actions',
  'body',
]);
const PERSON_FIELDS = new Set(['decided_by', 'acked_by']);

function stepViews(run: RunView, org: OrgIR): StepView[] {
  const input = runInput(run);
  const irSteps = input.ir?.steps ?? [];
  const results =
    run.state?.steps ??
    (run.digest.result as { steps?: Array<Record<string, unknown>> } | undefined)?.steps ??
    [];
  const byId = new Map(results.map((r) => [String(r.id), r]));
  const ids = irSteps.length ? irSteps.map((s) => s.id) : results.map((r) => String(r.id));
  return ids.map((id) => {
    const ir = irSteps.find((s) => s.id === id);
    const r = byId.get(id) ?? { id, status: run.temporalStatus === 'running' ? 'pending' : 'skipped' };
    const detail: Array<[string, string]> = [];
    for (const [k, v] of Object.entries(r)) {
      if (HIDDEN_RESULT_FIELDS.has(k) || v === '' || v === false || v === undefined || v === null) continue;
      const text = PERSON_FIELDS.has(k)
        ? personName(org, input.org, String(v))
        : typeof v === 'string'
          ? v
          : JSON.stringify(v);
      detail.push([k.replace(/_/g, ' '), text.length > 300 ? text.slice(0, 300) + '…' : text]);
    }
    return {
      id,
      name: ir?.name,
      kind: stepKind(ir),
      status: String(r.status ?? ''),
      startedAt: typeof r.started_at === 'string' ? r.started_at : undefined,
      finishedAt: typeof r.finished_at === 'string' ? r.finished_at : undefined,
      reason: typeof r.reason === 'string' ? r.reason : undefined,
      detail,
    };
  });
}

function detectionView(d: Detection, portalUrl: string | undefined): DetectionView {
  const portal = d.source === 'defender' && portalUrl ? portalUrl.replace(/\/+$/, '') : undefined;
  return {
    id: d.id,
    title: d.title,
    severity: d.severity,
    status: d.status,
    source: d.source,
    detectedAt: d.detected_at,
    category: d.category,
    url: d.url,
    alerts: (d.alert_ids ?? []).map((id) => ({
      id,
      portal: portal ? `${portal}/alerts/${encodeURIComponent(id)}` : undefined,
    })),
    incident: d.incident_id
      ? {
          id: d.incident_id,
          portal: portal ? `${portal}/incidents/${encodeURIComponent(d.incident_id)}` : undefined,
        }
      : undefined,
  };
}

function stringsOf(o: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null || v === '') continue;
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    out[k] = s.length > 300 ? s.slice(0, 300) + '…' : s;
  }
  return out;
}

function uniq<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => {
    const k = key(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Who cancelled: the console sets the client identity to `console:<person id>`. */
export const CANCEL_IDENTITY_PREFIX = 'nightshift-console:';

function timeline(run: RunView, org: OrgIR): TimelineEntry[] {
  const d = run.digest;
  const pinned = runInput(run).org;
  const name = (id: string | null | undefined) => personName(org, pinned, id);
  const t: TimelineEntry[] = [];
  t.push({ at: d.startedAt, kind: 'run', text: `Run started (${runInput(run).groupKey ?? run.workflowId})` });
  d.detections.forEach((x, i) =>
    t.push({
      at: x.at,
      kind: 'detection',
      text: `${i === 0 ? 'Detection' : 'Detection joined'}: ${x.detection.title} (${x.detection.id})`,
    }),
  );
  for (const n of d.notifies)
    t.push({
      at: n.at,
      kind: 'message',
      text: `Notified ${recipientName(org, pinned, n.request?.to)}${n.result?.dryRun ? ' (dry run)' : ''}${n.error ? `: failed: ${n.error}` : ''}`,
      channel: n.result?.channel,
      bad: n.ok === false,
    });
  for (const a of d.asks)
    t.push({
      at: a.at,
      kind: 'message',
      text: `Asked ${recipientName(org, pinned, a.request?.to)}: ${a.request?.question ?? ''}${a.result?.dryRun ? ' (dry run)' : ''}${a.error ? ` — failed: ${a.error}` : ''}`,
      channel: a.result?.channel ?? a.request?.via,
      anchor: a.request ? interactionAnchor(a.request.approvalId) : undefined,
      bad: a.ok === false,
    });
  for (const p of d.pages)
    t.push({
      at: p.at,
      kind: 'message',
      text: `Paged ${name(p.request?.person?.id)}${p.result?.dryRun ? ' (dry run)' : ''}${p.error ? ` — failed: ${p.error}` : ''}`,
      channel: p.request?.via,
      anchor: p.request ? interactionAnchor(p.request.pageId) : undefined,
      bad: p.ok === false,
    });
  for (const x of d.decisions)
    t.push({
      at: x.at,
      kind: 'decision',
      text: `${x.outcome === 'approved' ? 'Approved' : 'Denied'}${x.timedOut ? ' automatically (nobody answered in time)' : ''}${x.question ? `: ${x.question}` : ''}`,
      who: x.personId ? name(x.personId) : undefined,
      channel: x.timedOut ? undefined : x.channel,
      anchor: interactionAnchor(x.approvalId),
    });
  for (const x of d.acks)
    t.push({
      at: x.at,
      kind: 'ack',
      text: 'Page acknowledged',
      who: name(x.personId),
      channel: x.channel,
      anchor: interactionAnchor(x.pageId),
    });
  for (const a of d.defender) {
    const on = a.machineId ? ` on ${a.machineId}` : '';
    t.push({
      at: a.at,
      kind: 'defender',
      text: `Defender ${a.action}${on} requested${a.dryRun ? ' (dry run)' : ''}${a.attached ? ' (joined a pending action)' : ''}${a.error && !a.finalAt ? `: ${a.error}` : ''}`,
      bad: a.status === 'Error',
    });
    if (a.finalAt)
      t.push({
        at: a.finalAt,
        kind: 'defender',
        text: `Defender ${a.action}${on}: ${a.status}`,
        bad: a.status !== 'Succeeded',
      });
  }
  for (const w of d.webhooks)
    t.push({
      at: w.at,
      kind: 'webhook',
      text: `Webhook ${w.request?.method ?? ''} ${w.request?.url ?? ''}${w.status ? `: HTTP ${w.status}` : ''}${w.error ? `: ${w.error}` : ''}`,
      bad: !!w.error || (w.status !== undefined && (w.status < 200 || w.status >= 300)),
    });
  for (const s of stepViews(run, org))
    if (s.finishedAt && s.status !== 'pending')
      t.push({
        at: s.finishedAt,
        kind: 'step',
        text: `Step ${s.id} ${s.status}${s.reason ? `: ${s.reason}` : ''}`,
        bad: s.status === 'failed' || s.status === 'timed_out',
      });
  if (d.cancelRequested)
    t.push({
      at: d.cancelRequested.at,
      kind: 'cancel',
      text: `Cancel asked${d.cancelRequested.reason ? `: ${d.cancelRequested.reason}` : ''}`,
      who: cancelledBy(d.cancelRequested.identity, name),
      bad: true,
    });
  if (d.terminated)
    t.push({
      at: d.terminated.at,
      kind: 'cancel',
      text: `Terminated: ${d.terminated.reason}`,
      who: d.terminated.identity,
      bad: true,
    });
  if (d.closedAt && !d.terminated)
    t.push({
      at: d.closedAt,
      kind: 'run',
      text: `Run ended: ${(d.result as { outcome?: string } | undefined)?.outcome ?? d.status}${d.failure ? ` (${d.failure})` : ''}`,
      bad: d.status !== 'completed' || (d.result as { outcome?: string } | undefined)?.outcome === 'failed',
    });
  // Stable by time: events at the same instant keep the order above (cause before effect).
  return t.filter((e) => e.at).sort((a, b) => a.at.localeCompare(b.at));
}

function cancelledBy(identity: string, name: (id: string) => string): string {
  return identity.startsWith(CANCEL_IDENTITY_PREFIX)
    ? name(identity.slice(CANCEL_IDENTITY_PREFIX.length))
    : identity;
}

export function buildStory(run: RunView, ctx: StoryContext): Story {
  const d = run.digest;
  const input = runInput(run);
  const pinned = input.org;
  const name = (id: string | null | undefined) => personName(ctx.org, pinned, id);
  const detections = d.detections.map((x) => x.detection);
  const evidence = {
    files: uniq(
      detections.flatMap((x) =>
        (x.evidence?.files ?? []).map((f) => stringsOf(f as Record<string, unknown>)),
      ),
      (f) => JSON.stringify(f),
    ),
    processes: uniq(
      detections.flatMap((x) => (x.evidence?.processes ?? []).map((p) => stringsOf(p))),
      (p) => JSON.stringify(p),
    ),
    ips: [...new Set(detections.flatMap((x) => x.evidence?.ips ?? []))],
    urls: [...new Set(detections.flatMap((x) => x.evidence?.urls ?? []))],
  };
  const questions = new Map<string, string>();
  for (const a of d.asks) if (a.request) questions.set(a.request.approvalId, a.request.question);
  const pageTexts = new Map<string, string>();
  for (const p of d.pages) if (p.request) pageTexts.set(p.request.pageId, p.request.message);
  const answered: AnsweredView[] = [
    ...d.decisions.map((x) => ({
      kind: 'approval' as const,
      id: x.approvalId,
      text: x.question ?? questions.get(x.approvalId) ?? x.approvalId,
      outcome: x.outcome,
      by: x.personId ? name(x.personId) : null,
      channel: x.channel,
      at: x.at,
    })),
    ...d.acks.map((x) => ({
      kind: 'page' as const,
      id: x.pageId,
      text: pageTexts.get(x.pageId) ?? 'Page',
      outcome: 'acknowledged',
      by: name(x.personId),
      channel: x.channel,
      at: x.at,
    })),
  ];
  const outcome = (d.result as { outcome?: string } | undefined)?.outcome;
  return {
    workflowId: run.workflowId,
    playbook: run.state?.playbook ?? input.ir?.name ?? run.workflowId,
    version: run.state?.version ?? input.ir?.version,
    hash: run.state?.hash ?? input.ir?.hash,
    status: run.temporalStatus,
    outcome,
    startedAt: d.startedAt,
    closedAt: run.closedAt,
    groupKey: input.groupKey,
    currentStep: run.state?.currentStep,
    steps: stepViews(run, ctx.org),
    timeline: timeline(run, ctx.org),
    waiting: waitingItems(run, ctx),
    answered,
    devices: runDevices(run, ctx.isProtected),
    users: uniq(
      detections.flatMap((x) => x.users ?? []),
      (u) => `${u.name}|${u.domain ?? ''}|${u.upn ?? ''}`,
    ),
    detections: detections.map((x) => detectionView(x, ctx.portalUrl)),
    evidence,
    mitre: [...new Set(detections.flatMap((x) => x.mitre ?? []))],
    defender: d.defender.map((a) => ({
      at: a.at,
      stepId: a.stepId,
      action: a.action,
      device: a.machineId,
      actionId: a.actionId,
      status: a.status,
      dryRun: a.dryRun,
      attached: a.attached,
    })),
    cancelled: d.cancelRequested
      ? {
          by: cancelledBy(d.cancelRequested.identity, name),
          at: d.cancelRequested.at,
          reason: d.cancelRequested.reason,
        }
      : undefined,
    partial:
      run.state || run.temporalStatus !== 'running'
        ? undefined
        : 'No worker answered: this is the run as its history tells it; what it waits for now is not shown.',
  };
}
