// The playbook interpreter: runs a compiled playbook (the IR) over a Runtime. Pure TypeScript: the same
// code runs inside the Temporal workflow and inside `nightshift simulate` (design principle 1).
import type { Detection, Device, OrgIR, PlaybookIR, StepIR, StepKindIR, Target } from '../../compiler/ir';
import { PER_DEVICE_DEFENDER_ACTIONS } from '../../compiler/ir';
import { createEvaluator, type EvalScope, type Evaluator } from '../../compiler/expr/runtime';
import type {
  Decision,
  DefenderSubmitRequest,
  PostedMessage,
  Recipient,
  RunRef,
} from '../../activities/contracts';
import { FINAL_MACHINE_ACTION_STATES } from '../../activities/contracts';
import type {
  AckInput,
  AnsweredInteraction,
  DecideInput,
  PendingApproval,
  PendingPage,
  RunEffect,
  RunState,
} from '../messages';
import { alreadyAnswered, interactionId } from '../messages';
import { CONCURRENT_DEVICES_PATCH, MAX_CONCURRENT_DEVICES, mapBounded } from './concurrency';
import { LiveSteps, type Wait } from './live-steps';
import type { Runtime } from './runtime';

export const DEFAULT_DEFENDER_TIMEOUT_MS = 10 * 60_000;

export type StepStatus = 'succeeded' | 'failed' | 'skipped' | 'timed_out';

/** A step's result as playbooks read it (`steps.<id>.…`, spec §3) plus timing for reports. */
export interface StepResult {
  id: string;
  status: StepStatus;
  reason?: string;
  started_at?: string;
  finished_at?: string;
  [field: string]: unknown;
}

export interface RunInput {
  ir: PlaybookIR;
  org: OrgIR;
  detection: Detection;
  /** The group key the run was started for (spec §3 `group_by`). */
  groupKey: string;
}

export interface RunOutcome {
  outcome: 'completed' | 'failed';
  steps: StepResult[];
  effects: RunEffect[];
  detectionIds: string[];
  deviceIds: string[];
}

/** A refused approval or acknowledgement: the validator throws it, nothing is recorded. */
export class InteractionRefused extends Error {
  override name = 'InteractionRefused';
}

interface ApprovalState extends PendingApproval {
  decision?: Decision;
  /** Errors of every ask, when no channel could be reached. */
  unreachable?: string[];
}

interface PageState extends PendingPage {
  ack?: { ackedBy: string; ackedAt: string; channel: string };
}

function iso(d: Date): string {
  return d.toISOString();
}

function errorMessage(err: unknown): string {
  // Temporal wraps activity errors (ActivityFailure → ApplicationFailure); the cause says what happened.
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e && e.cause && typeof e.cause === 'object') e = e.cause as typeof e;
  return String(e?.message ?? err);
}

export class PlaybookInterpreter {
  private readonly ev: Evaluator;
  private readonly results = new Map<string, StepResult>();
  private readonly approvals = new Map<string, ApprovalState>();
  private readonly pages = new Map<string, PageState>();
  private readonly detections: Detection[] = [];
  private readonly devices: Device[] = [];
  private readonly effectLog: RunEffect[] = [];
  private readonly usedCodes = new Set<string>();
  private current: string | null = null;
  private status: RunState['status'] = 'running';
  /** An approval step of this run decided `approved` by a person (spec §2 "human approval"). */
  private humanApproved = false;
  /** Per-device steps (no for_each): the devices each has acted on, and its per-device results. */
  private readonly perDeviceSeen = new Map<string, Set<string>>();
  private readonly elementResults = new Map<string, StepResult[]>();
  private mainDone = false;
  private stopCatchUp = false;
  /** What running steps wait for, for the state view. */
  private readonly live = new LiveSteps();

  constructor(
    private readonly input: RunInput,
    private readonly rt: Runtime,
  ) {
    this.ev = createEvaluator(input.org);
    this.attach(input.detection);
  }

  // ------------------------------------------------------------------------------------------
  // Messages from outside (Temporal Updates/Signals, or the simulator)

  /** A further detection of the same group key: its devices join the run. Idempotent. */
  attach(d: Detection): void {
    if (this.detections.some((x) => x.id === d.id)) return;
    this.detections.push(d);
    for (const dev of d.devices ?? []) {
      if (!this.devices.some((x) => x.id === dev.id)) this.devices.push(dev);
    }
    this.rt.onStateChange?.();
  }

  /** Synchronous validation of a decision: throws InteractionRefused, leaving no trace. */
  validateDecision(input: DecideInput): void {
    const a = this.approvals.get(input.approvalId);
    if (!a) throw new InteractionRefused(`approval ${input.approvalId} is not part of this run`);
    if (a.decision) {
      const d = a.decision;
      throw new InteractionRefused(
        alreadyAnswered({ outcome: d.outcome, by: d.decidedBy, channel: d.channel }, this.personName),
      );
    }
    if (input.outcome !== 'approved' && input.outcome !== 'denied') {
      throw new InteractionRefused(`outcome must be approved or denied, not ${String(input.outcome)}`);
    }
    if (!a.approvers.includes(input.personId)) {
      throw new InteractionRefused(`${input.personId} may not decide this approval`);
    }
  }

  /** Applies a validated decision. First valid answer wins: a later one returns the decision in force. */
  decide(input: DecideInput): Decision {
    const a = this.approvals.get(input.approvalId);
    if (!a) throw new InteractionRefused(`approval ${input.approvalId} is not part of this run`);
    if (!a.decision) {
      a.decision = {
        outcome: input.outcome,
        decidedBy: input.personId,
        decidedAt: iso(this.rt.now()),
        channel: input.channel,
        timedOut: false,
      };
    }
    return a.decision;
  }

  validateAck(input: AckInput): void {
    const p = this.pages.get(input.pageId);
    if (!p) throw new InteractionRefused(`page ${input.pageId} is not part of this run`);
    if (p.ack)
      throw new InteractionRefused(
        alreadyAnswered(
          { outcome: 'acknowledged', by: p.ack.ackedBy, channel: p.ack.channel },
          this.personName,
        ),
      );
    if (!p.paged.includes(input.personId)) throw new InteractionRefused(`${input.personId} was not paged`);
  }

  ack(input: AckInput): { ackedBy: string; ackedAt: string; channel: string } {
    const p = this.pages.get(input.pageId);
    if (!p) throw new InteractionRefused(`page ${input.pageId} is not part of this run`);
    p.ack ??= { ackedBy: input.personId, ackedAt: iso(this.rt.now()), channel: input.channel };
    return p.ack;
  }

  private readonly personName = (id: string): string => this.input.org.people[id]?.name ?? id;

  /** Approvals decided and pages acknowledged, with their codes (RunState.answered). */
  private answered(): AnsweredInteraction[] {
    const out: AnsweredInteraction[] = [];
    for (const a of this.approvals.values()) {
      if (!a.decision) continue;
      const d = a.decision;
      out.push({
        kind: 'approval',
        id: a.approvalId,
        code: a.code,
        people: a.approvers,
        outcome: d.outcome,
        by: d.decidedBy,
        channel: d.channel,
        at: d.decidedAt,
      });
    }
    for (const p of this.pages.values()) {
      if (!p.ack) continue;
      out.push({
        kind: 'page',
        id: p.pageId,
        code: p.code,
        people: p.paged,
        outcome: 'acknowledged',
        by: p.ack.ackedBy,
        channel: p.ack.channel,
        at: p.ack.ackedAt,
      });
    }
    return out;
  }

  state(): RunState {
    return {
      playbook: this.input.ir.name,
      version: this.input.ir.version,
      hash: this.input.ir.hash,
      status: this.status,
      currentStep: this.current,
      detectionIds: this.detections.map((d) => d.id),
      deviceIds: this.devices.map((d) => d.id),
      pendingApprovals: [...this.approvals.values()]
        .filter((a) => !a.decision)
        .map(({ decision: _d, ...a }) => a),
      pendingPages: [...this.pages.values()].filter((p) => !p.ack).map(({ ack: _a, ...p }) => p),
      answered: this.answered(),
      steps: this.input.ir.steps.map((s) =>
        this.live.view(s.id, this.results.get(s.id), this.status === 'running'),
      ),
      effects: [...this.effectLog],
    };
  }

  // ------------------------------------------------------------------------------------------
  // The run

  async run(): Promise<RunOutcome> {
    // Devices that join after a per-device step has run get that step too, as soon as they join.
    const catchingUp = this.catchUpLoop();
    let failed = false;
    for (const step of this.input.ir.steps) {
      this.current = step.id;
      const started = iso(this.rt.now());
      this.live.begin(step.id, started);
      this.rt.onStateChange?.();
      let result: StepResult;
      try {
        result = await this.runStep(step);
      } catch (err) {
        result = { id: step.id, status: 'failed', reason: errorMessage(err) };
      }
      result.started_at = started;
      result.finished_at = iso(this.rt.now());
      this.results.set(step.id, result);
      this.live.end(step.id);
      if (result.status === 'failed' && !step.continueOnError) {
        failed = true;
        break;
      }
    }
    this.current = null;
    this.mainDone = true;
    this.stopCatchUp = failed;
    await catchingUp;
    // A catch-up element that failed fails its step, and so the run, as it would have in the step.
    failed ||= this.input.ir.steps.some(
      (st) => !st.continueOnError && this.results.get(st.id)?.status === 'failed',
    );
    this.status = failed ? 'failed' : 'completed';
    this.rt.onStateChange?.();
    const state = this.state();
    return {
      outcome: failed ? 'failed' : 'completed',
      steps: state.steps as StepResult[],
      effects: state.effects,
      detectionIds: state.detectionIds,
      deviceIds: state.deviceIds,
    };
  }

  /** Per-device steps already run (without for_each) that have not yet acted on every device. */
  private catchUpDue(): boolean {
    if (this.stopCatchUp) return false;
    for (const [stepId, seen] of this.perDeviceSeen) {
      if (this.results.has(stepId) && this.devices.some((d) => !seen.has(d.id))) return true;
    }
    return false;
  }

  private async catchUpLoop(): Promise<void> {
    for (;;) {
      // No timeout: waiting here adds nothing to the history until a device actually joins.
      await this.rt.waitFor(() => this.mainDone || this.catchUpDue(), undefined);
      if (!this.catchUpDue()) return;
      for (const step of this.input.ir.steps) {
        const seen = this.perDeviceSeen.get(step.id);
        const before = this.results.get(step.id);
        if (!seen || !before) continue;
        const fresh = this.devices.filter((d) => !seen.has(d.id));
        for (const d of fresh) seen.add(d.id);
        const outcomes: StepResult[] = [];
        if (this.concurrentDevices(step, fresh.length)) {
          const els = fresh.map((device) => ({ device }));
          outcomes.push(...(await this.runConcurrently(step, els, (el) => this.devices.indexOf(el.device!))));
        } else {
          for (const device of fresh) {
            let r: StepResult;
            try {
              if (step.if && !this.ev.bool(step.if, this.scope({ device }))) continue;
              r = await this.runElement(step, { device }, this.devices.indexOf(device));
            } catch (err) {
              r = { id: step.id, status: 'failed', reason: errorMessage(err) };
            }
            outcomes.push(r);
          }
        }
        if (outcomes.length === 0) continue;
        const merged = this.aggregate(step, [...(this.elementResults.get(step.id) ?? []), ...outcomes]);
        this.elementResults.set(step.id, [...(this.elementResults.get(step.id) ?? []), ...outcomes]);
        this.results.set(step.id, {
          ...merged,
          started_at: before.started_at,
          finished_at: iso(this.rt.now()),
        });
        this.live.end(step.id);
        this.rt.onStateChange?.();
      }
    }
  }

  private scope(extra: { device?: Device; item?: unknown } = {}): EvalScope {
    const steps: Record<string, Record<string, unknown>> = {};
    for (const [id, r] of this.results) steps[id] = r;
    return {
      detection: this.input.detection,
      device: extra.device ?? this.devices[0],
      item: extra.item,
      steps,
      playbook: { name: this.input.ir.name, version: this.input.ir.version, hash: this.input.ir.hash },
      now: this.rt.now(),
    };
  }

  private runRef(step: StepIR): RunRef {
    return {
      workflowId: this.rt.workflowId,
      playbook: this.input.ir.name,
      playbookVersion: this.input.ir.version,
      stepId: step.id,
      detectionId: this.input.detection.id,
    };
  }

  private record(effect: Omit<RunEffect, 'at'>): void {
    this.effectLog.push({ at: iso(this.rt.now()), ...effect });
  }

  private async runStep(step: StepIR): Promise<StepResult> {
    const perDevice = step.run.kind === 'defender' && PER_DEVICE_DEFENDER_ACTIONS.includes(step.run.action);
    // Elements: for_each items, every device for per-device Defender steps, or the step once.
    let elements: Array<{ device?: Device; item?: unknown }>;
    if (step.forEach) {
      const items = this.ev.list(step.forEach, this.scope());
      elements = items.map((item) => (perDevice ? { item, device: this.asDevice(item, step) } : { item }));
    } else if (perDevice) {
      elements = [...this.devices].map((device) => ({ device }));
      this.perDeviceSeen.set(step.id, new Set(elements.map((e) => (e.device as Device).id)));
    } else {
      elements = [{}];
    }
    const single = !step.forEach && !perDevice;

    const outcomes: StepResult[] = [];
    if (this.concurrentDevices(step, elements.length)) {
      outcomes.push(...(await this.runConcurrently(step, elements, (_el, i) => i)));
    } else {
      for (let i = 0; i < elements.length; i++) {
        const el = elements[i];
        if (step.if && !this.ev.bool(step.if, this.scope(el))) continue;
        let r: StepResult;
        try {
          r = await this.runElement(step, el, i);
        } catch (err) {
          r = { id: step.id, status: 'failed', reason: errorMessage(err) };
        }
        outcomes.push(r);
      }
    }
    if (single) return outcomes[0] ?? { id: step.id, status: 'skipped' };
    this.elementResults.set(step.id, outcomes);
    return this.aggregate(step, outcomes);
  }

  /**
   * A per-device Defender step acts on its devices concurrently (bounded), so a 20-device incident is
   * not contained one device after another. Runs recorded before that keep the one-by-one path.
   */
  private concurrentDevices(step: StepIR, count: number): boolean {
    const perDevice = step.run.kind === 'defender' && PER_DEVICE_DEFENDER_ACTIONS.includes(step.run.action);
    return perDevice && count > 1 && this.rt.patched(CONCURRENT_DEVICES_PATCH);
  }

  /** The elements' results (those whose `if` holds), in element order; `n` numbers each for its keys. */
  private async runConcurrently(
    step: StepIR,
    elements: Array<{ device?: Device; item?: unknown }>,
    n: (el: { device?: Device; item?: unknown }, i: number) => number,
  ): Promise<StepResult[]> {
    const results = await mapBounded(elements, MAX_CONCURRENT_DEVICES, async (el, i) => {
      try {
        if (step.if && !this.ev.bool(step.if, this.scope(el))) return null;
        return await this.runElement(step, el, n(el, i));
      } catch (err) {
        return { id: step.id, status: 'failed', reason: errorMessage(err) } as StepResult;
      }
    });
    return results.filter((r): r is StepResult => r !== null);
  }

  /** Spec §3: failed if any element failed, else succeeded if any ran, else skipped. */
  private aggregate(step: StepIR, outcomes: StepResult[]): StepResult {
    const status: StepStatus = outcomes.some((o) => o.status === 'failed')
      ? 'failed'
      : outcomes.some((o) => o.status === 'timed_out')
        ? 'timed_out'
        : outcomes.length > 0
          ? 'succeeded'
          : 'skipped';
    const result: StepResult = { ...(outcomes[outcomes.length - 1] ?? {}), id: step.id, status };
    const reasons = outcomes.filter((o) => o.status === 'failed' && o.reason).map((o) => o.reason as string);
    if (reasons.length) result.reason = [...new Set(reasons)].join('; ');
    else delete result.reason;
    if (step.run.kind === 'defender') {
      result.actions = outcomes.flatMap((o) => (o.actions as unknown[] | undefined) ?? []);
    }
    return result;
  }

  private asDevice(item: unknown, step: StepIR): Device {
    const d = item as Partial<Device> | null;
    if (!d || typeof d !== 'object' || typeof d.id !== 'string') {
      throw new Error(
        `${step.at}: for_each of a per-device Defender step must list devices (objects with an id)`,
      );
    }
    return { id: d.id, name: d.name ?? d.id, tags: d.tags ?? [], os: d.os, ip: d.ip };
  }

  private runElement(step: StepIR, el: { device?: Device; item?: unknown }, n: number): Promise<StepResult> {
    const run: StepKindIR = step.run;
    switch (run.kind) {
      case 'notify':
        return this.notify(step, run, el);
      case 'approval':
        return this.approval(step, run, el, n);
      case 'page':
        return this.page(step, run, el, n);
      case 'wait':
        return this.wait(step, run, el, n);
      case 'defender':
        return this.defender(step, run, el, n);
      case 'webhook':
        return this.webhook(step, run, el, n);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Recipients

  private recipients(targets: Target[]): Array<{ key: string; to: Recipient }> {
    const out: Array<{ key: string; to: Recipient }> = [];
    const seen = new Set<string>();
    const person = (id: string) => {
      const p = this.input.org.people[id];
      if (p && !seen.has(`person:${id}`)) {
        seen.add(`person:${id}`);
        out.push({ key: id, to: { type: 'person', person: p } });
      }
    };
    for (const t of targets) {
      if (t.type === 'channel') {
        const channel = this.input.org.channels[t.id];
        if (channel && !seen.has(`channel:${t.id}`)) {
          seen.add(`channel:${t.id}`);
          out.push({ key: t.id, to: { type: 'channel', id: t.id, channel } });
        }
      } else if (t.type === 'person') person(t.id);
      else for (const id of this.input.org.groups[t.id] ?? []) person(id);
    }
    return out;
  }

  private newCode(): string {
    // Four digits people can type in an SMS reply; unique within the run.
    for (;;) {
      const code = String(1000 + Math.floor(this.rt.random() * 9000));
      if (!this.usedCodes.has(code)) {
        this.usedCodes.add(code);
        return code;
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Step kinds

  private async notify(
    step: StepIR,
    run: Extract<StepKindIR, { kind: 'notify' }>,
    el: { device?: Device; item?: unknown },
  ): Promise<StepResult> {
    const scope = this.scope(el);
    const message = this.ev.render(run.message, scope);
    const title = run.title ? this.ev.render(run.title, scope) : undefined;
    const recipients = this.recipients(run.to);
    const suffix = el.device
      ? `/${el.device.id}`
      : el.item !== undefined
        ? `/${JSON.stringify(el.item)}`
        : '';
    for (const r of recipients) this.record({ kind: 'notify', target: r.key });
    await Promise.all(
      recipients.map((r) =>
        this.rt.effects.notify({
          key: `${this.rt.workflowId}/${step.id}${suffix}/${r.key}`,
          run: this.runRef(step),
          to: r.to,
          title,
          message,
        }),
      ),
    );
    return { id: step.id, status: 'succeeded' };
  }

  private async approval(
    step: StepIR,
    run: Extract<StepKindIR, { kind: 'approval' }>,
    el: { device?: Device; item?: unknown },
    n: number,
  ): Promise<StepResult> {
    const scope = this.scope(el);
    const question = this.ev.render(run.question, scope);
    const now = this.rt.now();
    const approval: ApprovalState = {
      approvalId: interactionId(this.rt.workflowId, step.id, n),
      stepId: step.id,
      code: this.newCode(),
      question,
      approvers: [...run.approvers],
      askedAt: iso(now),
      expiresAt: iso(new Date(now.getTime() + run.timeoutMs)),
    };
    this.approvals.set(approval.approvalId, approval);
    this.rt.onStateChange?.();

    const approvers = run.approvers.map((id) => this.input.org.people[id]).filter((p) => p !== undefined);
    // Channels are asked once each; people once per `via` (the extension), else on their best channel.
    type Ask = {
      target: string;
      to: Recipient;
      via?: 'sms' | 'voice' | 'slack' | 'email';
      kind: string;
      key: string;
    };
    const asks: Ask[] = this.recipients(run.ask).flatMap((r): Ask[] =>
      r.to.type === 'person' && run.via?.length
        ? run.via.map((via) => ({
            target: r.key,
            to: r.to,
            via,
            kind: `approval.ask.${via}`,
            key: `${approval.approvalId}/${r.key}/${via}`,
          }))
        : [{ target: r.key, to: r.to, kind: 'approval.ask', key: `${approval.approvalId}/${r.key}` }],
    );
    for (const a of asks) this.record({ kind: a.kind, target: a.target });
    const asked = await Promise.allSettled(
      asks.map((a) =>
        this.rt.effects.askApproval({
          key: a.key,
          run: this.runRef(step),
          approvalId: approval.approvalId,
          code: approval.code,
          to: a.to,
          question,
          approvers,
          expiresAt: approval.expiresAt,
          ...(a.via ? { via: a.via } : {}),
        }),
      ),
    );
    const messages: PostedMessage[] = asked.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    if (asks.length > 0 && messages.length === 0) {
      // Nobody could be asked: waiting for an answer that cannot come would only delay the timeout path.
      const why = asked.map((a) => (a.status === 'rejected' ? errorMessage(a.reason) : '')).filter(Boolean);
      approval.unreachable = why;
    }

    const wait: Wait = {
      waiting_for: 'approval',
      approval_id: approval.approvalId,
      expires_at: approval.expiresAt,
    };
    const decided = await this.live.during(step.id, n, now, wait, () =>
      this.rt.waitFor(() => approval.decision !== undefined, run.timeoutMs),
    );
    if (!decided) {
      approval.decision = {
        outcome: run.onTimeout,
        decidedBy: null,
        decidedAt: iso(this.rt.now()),
        channel: 'timeout',
        timedOut: true,
      };
    }
    const decision = approval.decision as Decision;
    this.rt.onStateChange?.();
    this.rt.onApprovalDecided?.(decision, now);
    if (decision.outcome === 'approved' && !decision.timedOut && decision.decidedBy)
      this.humanApproved = true;
    try {
      await this.rt.effects.approvalResolved({
        key: `${approval.approvalId}/resolved`,
        run: this.runRef(step),
        approvalId: approval.approvalId,
        question,
        decision,
        messages,
      });
    } catch {
      // Showing the decision on every channel is best effort; the decision itself stands.
    }
    return {
      id: step.id,
      status: 'succeeded',
      outcome: decision.outcome,
      timed_out: decision.timedOut,
      decided_by: decision.decidedBy ?? '',
      decided_at: decision.decidedAt,
      channel: decision.channel,
    };
  }

  private async page(
    step: StepIR,
    run: Extract<StepKindIR, { kind: 'page' }>,
    el: { device?: Device; item?: unknown },
    n: number,
  ): Promise<StepResult> {
    const message = this.ev.render(run.message, this.scope(el));
    const first: string[] = [];
    if (run.rotation) first.push(this.ev.onCall(run.rotation, this.rt.now()));
    for (const r of this.recipients(run.to ?? [])) {
      if (r.to.type === 'person' && !first.includes(r.to.person.id)) first.push(r.to.person.id);
    }
    const page: PageState = {
      pageId: interactionId(this.rt.workflowId, step.id, n),
      stepId: step.id,
      code: this.newCode(),
      paged: [],
      pagedAt: iso(this.rt.now()),
    };
    this.pages.set(page.pageId, page);

    const send = async (people: string[], round: number) => {
      const fresh = people.filter((p) => !page.paged.includes(p));
      page.paged.push(...fresh);
      this.rt.onStateChange?.();
      const calls: Array<Promise<unknown>> = [];
      for (const id of people) {
        const person = this.input.org.people[id];
        if (!person) continue;
        for (const via of run.via) {
          this.record({ kind: `page.${via}`, target: id });
          calls.push(
            this.rt.effects.page({
              key: `${page.pageId}/${round}/${id}/${via}`,
              run: this.runRef(step),
              pageId: page.pageId,
              code: page.code,
              person,
              via,
              message,
            }),
          );
        }
      }
      // A failed channel must not stop the others: a page reaches whoever it can.
      await Promise.allSettled(calls);
    };

    const waitForAck = () => {
      const now = this.rt.now();
      const deadline = iso(new Date(now.getTime() + run.ackTimeoutMs));
      return this.live.during(step.id, n, now, { waiting_for: 'ack', page_id: page.pageId, deadline }, () =>
        this.rt.waitFor(() => page.ack !== undefined, run.ackTimeoutMs),
      );
    };
    await send(first, 0);
    let acked = await waitForAck();
    if (!acked && run.escalateTo.length > 0) {
      await send(run.escalateTo, 1);
      acked = await waitForAck();
    }
    this.rt.onStateChange?.();
    if (!acked || !page.ack) {
      page.ack = undefined;
      this.pages.delete(page.pageId);
      this.rt.onStateChange?.();
      return { id: step.id, status: 'timed_out', acked_by: '', acked_at: '' };
    }
    return { id: step.id, status: 'succeeded', acked_by: page.ack.ackedBy, acked_at: page.ack.ackedAt };
  }

  private async wait(
    step: StepIR,
    run: Extract<StepKindIR, { kind: 'wait' }>,
    el: { device?: Device; item?: unknown },
    n: number,
  ): Promise<StepResult> {
    let ms = run.forMs ?? 0;
    if (run.until) ms = this.ev.timestamp(run.until, this.scope(el)).getTime() - this.rt.now().getTime();
    if (ms > 0) {
      const now = this.rt.now();
      const until = iso(new Date(now.getTime() + ms));
      await this.live.during(step.id, n, now, { waiting_for: 'timer', until }, () => this.rt.sleep(ms));
    }
    return { id: step.id, status: 'succeeded' };
  }

  private async webhook(
    step: StepIR,
    run: Extract<StepKindIR, { kind: 'webhook' }>,
    el: { device?: Device; item?: unknown },
    n: number,
  ): Promise<StepResult> {
    const scope = this.scope(el);
    const url = this.ev.render(run.url, scope);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(run.headers)) headers[k] = this.ev.render(v, scope);
    const body = run.body ? this.ev.renderJson(run.body, scope) : undefined;
    this.record({ kind: 'webhook', target: url });
    const res = await this.rt.effects.webhook({
      key: `${this.rt.workflowId}/${step.id}/${n}`,
      run: this.runRef(step),
      url,
      method: run.method,
      headers,
      body,
    });
    const ok = res.httpStatus >= 200 && res.httpStatus < 300;
    return {
      id: step.id,
      status: ok ? 'succeeded' : 'failed',
      ...(ok ? {} : { reason: `webhook answered HTTP ${res.httpStatus}` }),
      http_status: res.httpStatus,
      body: res.body,
    };
  }

  private async defender(
    step: StepIR,
    run: Extract<StepKindIR, { kind: 'defender' }>,
    el: { device?: Device; item?: unknown },
    n: number,
  ): Promise<StepResult> {
    const scope = this.scope(el);
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(run.params)) params[k] = this.ev.render(v, scope);
    const device = el.device;
    const perDevice = PER_DEVICE_DEFENDER_ACTIONS.includes(run.action);
    const kind = `defender.${run.action}`;

    if (perDevice && device) {
      const containment = run.action === 'isolate' || run.action === 'restrict_apps';
      if (containment && this.ev.isProtected(device) && !this.humanApproved) {
        return { id: step.id, status: 'failed', reason: 'protected', actions: [] };
      }
    }

    const key = `${this.rt.workflowId}/${step.id}/${n}${device ? `/${device.id}` : ''}`;
    let reserved = false;
    const policy = this.input.org.policy.maxAutoIsolations;
    if (run.action === 'isolate' && device && policy && !this.humanApproved) {
      reserved = await this.rt.effects.reserveIsolation({
        key,
        deviceId: device.id,
        workflowId: this.rt.workflowId,
        limit: policy.count,
        windowMs: policy.perMs,
      });
      if (!reserved) {
        this.rt.onBlastRadiusRefused?.({
          stepId: step.id,
          deviceId: device.id,
          limit: policy.count,
          windowMs: policy.perMs,
        });
        return { id: step.id, status: 'failed', reason: 'blast_radius', actions: [] };
      }
    }

    const req: DefenderSubmitRequest = {
      key,
      run: this.runRef(step),
      action: run.action,
      machineId: perDevice ? device?.id : undefined,
      alertIds: run.action === 'update_alert' ? this.detections.flatMap((d) => d.alert_ids ?? []) : undefined,
      params,
    };
    this.record(perDevice && device ? { kind, device: device.id } : { kind });
    let submitted;
    try {
      submitted = await this.rt.effects.defenderSubmit(req);
    } catch (err) {
      if (reserved) await this.rt.effects.releaseIsolation({ key });
      throw err;
    }
    if (!perDevice) {
      const r: StepResult = { id: step.id, status: 'succeeded' };
      if (run.action === 'block_indicator') r.indicator_id = submitted.indicatorId ?? '';
      return r;
    }
    let final: string = submitted.status;
    const action = { device: device?.id ?? '', action_id: submitted.actionId ?? '', status: final };
    if (!FINAL_MACHINE_ACTION_STATES.includes(submitted.status) && submitted.actionId && device) {
      // The state view shows the pending action while the step waits for it.
      this.live.action(step.id, n, this.rt.now(), action);
      final = await this.live.during(step.id, n, this.rt.now(), { waiting_for: 'defender_action' }, () =>
        this.rt.effects.defenderAwait(
          { actionId: submitted.actionId as string, machineId: device.id },
          step.timeoutMs ?? DEFAULT_DEFENDER_TIMEOUT_MS,
        ),
      );
      action.status = final;
    }
    if (final === 'Succeeded') return { id: step.id, status: 'succeeded', actions: [action] };
    if (reserved && final !== 'timed_out') await this.rt.effects.releaseIsolation({ key });
    if (final === 'timed_out') {
      return {
        id: step.id,
        status: 'timed_out',
        reason: 'machine action did not finish in time',
        actions: [action],
      };
    }
    return { id: step.id, status: 'failed', reason: `machine action ${final}`, actions: [action] };
  }
}
