// What a run did, read from its Temporal history: the durable record the console's story, devices and
// audit are built from. The history holds every input and answer (detections, decisions with who and
// which channel, Defender requests and their results, cancels) and lives as long as the namespace
// keeps closed runs (its retention), with no worker needed to read it. Pure: history in, facts out.
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type {
  ApprovalAskRequest,
  ApprovalResolvedRequest,
  DefenderPollRequest,
  DefenderSubmitRequest,
  DefenderSubmitResult,
  NotifyRequest,
  PageRequest,
  PostedMessage,
  WebhookRequest,
  WebhookResult,
} from '../../core/effects';
import type { Detection } from '../../core/detection';
import type { AckInput, DecideInput } from '../../core/messages';

type IHistory = temporal.api.history.v1.IHistory;
type IEvent = temporal.api.history.v1.IHistoryEvent;
type IPayloads = temporal.api.common.v1.IPayloads | null | undefined;

export interface Delivery {
  at: string;
  ok?: boolean;
  result?: PostedMessage;
  error?: string;
}

export interface DigestDecision {
  at: string;
  approvalId: string;
  /** Null when the approval's timeout decided. */
  personId: string | null;
  outcome: 'approved' | 'denied';
  channel: string;
  timedOut: boolean;
  question?: string;
}

export interface DigestAck {
  at: string;
  pageId: string;
  personId: string;
  channel: string;
}

export interface DigestDefenderAction {
  at: string;
  stepId: string;
  action: string;
  machineId?: string;
  key: string;
  actionId?: string;
  /** Defender's state as last known: Pending, InProgress, Succeeded, Failed, TimeOut, Cancelled; or error. */
  status: string;
  /** When the state became final. */
  finalAt?: string;
  dryRun: boolean;
  attached: boolean;
  error?: string;
}

export interface RunDigest {
  workflowType: string;
  startedAt: string;
  closedAt?: string;
  /** running, completed, failed, terminated, canceled, timed_out, continued_as_new. */
  status: string;
  /** The workflow's first argument. */
  input?: unknown;
  result?: unknown;
  detections: Array<{ at: string; detection: Detection }>;
  decisions: DigestDecision[];
  acks: DigestAck[];
  asks: Array<{ request: ApprovalAskRequest } & Delivery>;
  pages: Array<{ request: PageRequest } & Delivery>;
  notifies: Array<{ request: NotifyRequest } & Delivery>;
  defender: DigestDefenderAction[];
  webhooks: Array<{ at: string; request: WebhookRequest; status?: number; error?: string }>;
  cancelRequested?: { at: string; identity: string; reason: string };
  terminated?: { at: string; identity: string; reason: string };
  failure?: string;
  /** Number of events read. */
  events: number;
}

function first(p: IPayloads): unknown {
  const payload = p?.payloads?.[0];
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(payload);
  } catch {
    return undefined;
  }
}

function iso(e: IEvent): string {
  const t = e.eventTime;
  if (!t) return '';
  const ms = Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
  return new Date(ms).toISOString();
}

function failureMessage(f: temporal.api.failure.v1.IFailure | null | undefined): string {
  let cur = f;
  let msg = cur?.message ?? '';
  // The cause says what happened (an activity failure wraps the application failure).
  while (cur?.cause) {
    cur = cur.cause;
    if (cur.message) msg = cur.message;
  }
  return msg || 'failed';
}

function isDetection(v: unknown): v is Detection {
  return !!v && typeof v === 'object' && typeof (v as Detection).id === 'string';
}

/** The facts of one run's (or release's) history. */
export function digestHistory(history: IHistory): RunDigest {
  const d: RunDigest = {
    workflowType: '',
    startedAt: '',
    status: 'running',
    detections: [],
    decisions: [],
    acks: [],
    asks: [],
    pages: [],
    notifies: [],
    defender: [],
    webhooks: [],
    events: 0,
  };
  const addDetection = (at: string, det: unknown) => {
    if (isDetection(det) && !d.detections.some((x) => x.detection.id === det.id))
      d.detections.push({ at, detection: det });
  };
  // Scheduled activities by event id, to match their outcome.
  const scheduled = new Map<string, { type: string; input: unknown; at: string; index: number }>();
  // Accepted Updates by update id.
  const updates = new Map<string, { name: string; arg: unknown; at: string }>();
  const pendingByActionId = new Map<string, DigestDefenderAction>();

  for (const e of history.events ?? []) {
    d.events++;
    const at = iso(e);
    const started = e.workflowExecutionStartedEventAttributes;
    if (started) {
      d.workflowType = started.workflowType?.name ?? '';
      d.startedAt = at;
      d.input = first(started.input);
      const det = (d.input as { detection?: unknown } | undefined)?.detection;
      addDetection(at, det);
      continue;
    }
    const signaled = e.workflowExecutionSignaledEventAttributes;
    if (signaled) {
      if (signaled.signalName === 'attachDetection') addDetection(at, first(signaled.input));
      continue;
    }
    const accepted = e.workflowExecutionUpdateAcceptedEventAttributes;
    if (accepted) {
      const req = accepted.acceptedRequest;
      const name = req?.input?.name ?? '';
      const arg = first(req?.input?.args);
      updates.set(req?.meta?.updateId ?? accepted.protocolInstanceId ?? '', { name, arg, at });
      if (name === 'attach') addDetection(at, arg);
      continue;
    }
    const completedUpdate = e.workflowExecutionUpdateCompletedEventAttributes;
    if (completedUpdate) {
      const u = updates.get(completedUpdate.meta?.updateId ?? '');
      if (!u || !completedUpdate.outcome?.success) continue;
      const result = first(completedUpdate.outcome.success) as Record<string, unknown> | undefined;
      if (u.name === 'decide') {
        const arg = u.arg as DecideInput;
        // The Update answers the decision in force: recorded only when it is this answer's.
        if (result?.decidedBy === arg.personId && result?.channel === arg.channel)
          d.decisions.push({
            at: u.at,
            approvalId: arg.approvalId,
            personId: arg.personId,
            outcome: arg.outcome,
            channel: arg.channel,
            timedOut: false,
          });
      } else if (u.name === 'ack') {
        const arg = u.arg as AckInput;
        if (result?.ackedBy === arg.personId && result?.channel === arg.channel)
          d.acks.push({ at: u.at, pageId: arg.pageId, personId: arg.personId, channel: arg.channel });
      }
      continue;
    }
    const sched = e.activityTaskScheduledEventAttributes;
    if (sched) {
      const type = sched.activityType?.name ?? '';
      const input = first(sched.input);
      let index = -1;
      if (type === 'askApproval') index = d.asks.push({ at, request: input as ApprovalAskRequest }) - 1;
      else if (type === 'page') index = d.pages.push({ at, request: input as PageRequest }) - 1;
      else if (type === 'notify') index = d.notifies.push({ at, request: input as NotifyRequest }) - 1;
      else if (type === 'webhook') index = d.webhooks.push({ at, request: input as WebhookRequest }) - 1;
      else if (type === 'defenderSubmit') {
        const r = input as DefenderSubmitRequest;
        index =
          d.defender.push({
            at,
            stepId: r.run?.stepId ?? '',
            action: r.action,
            machineId: r.machineId,
            key: r.key,
            status: 'Requested',
            dryRun: false,
            attached: false,
          }) - 1;
      } else if (type === 'approvalResolved') {
        const r = input as ApprovalResolvedRequest;
        const dec = r.decision;
        if (dec?.timedOut)
          d.decisions.push({
            at: dec.decidedAt || at,
            approvalId: r.approvalId,
            personId: null,
            outcome: dec.outcome,
            channel: dec.channel,
            timedOut: true,
            question: r.question,
          });
        for (const x of d.decisions) if (x.approvalId === r.approvalId) x.question ??= r.question;
      }
      scheduled.set(String(e.eventId), { type, input, at, index });
      continue;
    }
    const done =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes ??
      e.activityTaskCanceledEventAttributes;
    if (done) {
      const s = scheduled.get(String(done.scheduledEventId));
      if (!s) continue;
      const ok = !!e.activityTaskCompletedEventAttributes;
      const result = ok ? first(e.activityTaskCompletedEventAttributes?.result) : undefined;
      const error = ok
        ? undefined
        : e.activityTaskCanceledEventAttributes
          ? 'cancelled'
          : failureMessage(
              e.activityTaskFailedEventAttributes?.failure ?? e.activityTaskTimedOutEventAttributes?.failure,
            );
      const delivery = (x: Delivery) => {
        x.ok = ok;
        if (ok) x.result = result as PostedMessage;
        else x.error = error;
      };
      if (s.type === 'askApproval') delivery(d.asks[s.index]);
      else if (s.type === 'page') delivery(d.pages[s.index]);
      else if (s.type === 'notify') delivery(d.notifies[s.index]);
      else if (s.type === 'webhook') {
        const w = d.webhooks[s.index];
        if (ok) w.status = (result as WebhookResult | undefined)?.httpStatus;
        else w.error = error;
      } else if (s.type === 'defenderSubmit') {
        const a = d.defender[s.index];
        if (ok) {
          const r = result as DefenderSubmitResult;
          a.actionId = r.actionId ?? r.indicatorId;
          a.status = r.status;
          a.dryRun = r.dryRun;
          a.attached = r.attached;
          if (['Succeeded', 'Failed', 'TimeOut', 'Cancelled'].includes(r.status)) a.finalAt = at;
          if (r.actionId) pendingByActionId.set(r.actionId, a);
        } else {
          a.status = 'Error';
          a.error = error;
        }
      } else if (s.type === 'defenderPoll') {
        const req = s.input as DefenderPollRequest;
        const a = pendingByActionId.get(req.actionId);
        if (!a) continue;
        if (ok) {
          a.status = (result as { status: string }).status;
          a.finalAt = at;
        } else {
          // The poll ends without a final state when the step's timeout passes.
          a.status = 'TimedOutWaiting';
          a.error = error;
        }
      }
      continue;
    }
    const cancel = e.workflowExecutionCancelRequestedEventAttributes;
    if (cancel) {
      d.cancelRequested = { at, identity: cancel.identity ?? '', reason: cancel.cause ?? '' };
      continue;
    }
    const term = e.workflowExecutionTerminatedEventAttributes;
    if (term) {
      d.terminated = { at, identity: term.identity ?? '', reason: term.reason ?? '' };
      d.status = 'terminated';
      d.closedAt = at;
      continue;
    }
    if (e.workflowExecutionCompletedEventAttributes) {
      d.status = 'completed';
      d.closedAt = at;
      d.result = first(e.workflowExecutionCompletedEventAttributes.result);
    } else if (e.workflowExecutionFailedEventAttributes) {
      d.status = 'failed';
      d.closedAt = at;
      d.failure = failureMessage(e.workflowExecutionFailedEventAttributes.failure);
    } else if (e.workflowExecutionCanceledEventAttributes) {
      d.status = 'canceled';
      d.closedAt = at;
    } else if (e.workflowExecutionTimedOutEventAttributes) {
      d.status = 'timed_out';
      d.closedAt = at;
    } else if (e.workflowExecutionContinuedAsNewEventAttributes) {
      d.status = 'continued_as_new';
      d.closedAt = at;
    }
  }
  d.decisions.sort((a, b) => a.at.localeCompare(b.at));
  return d;
}
