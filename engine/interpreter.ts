// The playbook interpreter: runs a compiled playbook (the IR) over a Runtime. Pure TypeScript: the same
// code runs inside the Temporal workflow and inside `nightshift simulate` (design principle 1). This
// file sequences the steps — if/for_each, per-device steps and the devices that join later, concurrency,
// results — and answers the run's messages; what each step kind does is engine/steps/.
import type { Detection, Device } from '../core/detection';
import { rootCause } from '../core/failures';
import type { StepIR } from '../core/ir';
import type { Ack, AckInput, DecideInput, Decision, RunState } from '../core/messages';
import type { RunInput, RunOutcome, StepResult, StepStatus } from '../core/run';
import { CONCURRENT_DEVICES_PATCH, MAX_CONCURRENT_DEVICES, mapBounded } from './concurrency';
import { RunContext } from './context';
import type { Element } from './keys';
import type { Runtime } from './runtime';
import { syncAlerts } from './alert-sync';
import { INCIDENT_READ_PATCH, readIncidents } from './mde';
import { STEP_HANDLERS } from './steps';
import type { StepKindHandler, StepKind } from './steps/types';

export { InteractionRefused } from './interactions';

function handlerOf(step: StepIR): StepKindHandler<StepKind> {
  return STEP_HANDLERS[step.run.kind] as StepKindHandler<StepKind>;
}

/** Whether a step acts on each device of the run (per-device Defender actions). */
function isPerDevice(step: StepIR): boolean {
  return handlerOf(step).perDevice?.(step.run) ?? false;
}

export class PlaybookInterpreter {
  private readonly ctx: RunContext;
  private current: string | null = null;
  private status: RunState['status'] = 'running';
  /** Per-device steps (no for_each): the devices each has acted on, and its per-device results. */
  private readonly perDeviceSeen = new Map<string, Set<string>>();
  private readonly elementResults = new Map<string, StepResult[]>();
  private mainDone = false;
  private alertSync: RunState['alertSync'];
  private stopCatchUp = false;

  constructor(
    private readonly input: RunInput,
    private readonly rt: Runtime,
  ) {
    this.ctx = new RunContext(input, rt);
    this.attach(input.detection);
  }

  // ------------------------------------------------------------------------------------------
  // Messages from outside (Temporal Updates/Signals, or the simulator)

  /** A further detection of the same group key: its devices join the run. Idempotent. */
  attach(d: Detection): void {
    if (this.ctx.addDetection(d)) this.ctx.changed();
  }

  /** Synchronous validation of a decision: throws InteractionRefused, leaving no trace. */
  validateDecision(input: DecideInput): void {
    this.ctx.interactions.validateDecision(input);
  }

  /** Applies a validated decision. First valid answer wins: a later one returns the decision in force. */
  decide(input: DecideInput): Decision {
    return this.ctx.interactions.decide(input);
  }

  validateAck(input: AckInput): void {
    this.ctx.interactions.validateAck(input);
  }

  ack(input: AckInput): Ack {
    return this.ctx.interactions.ack(input);
  }

  state(): RunState {
    const { ctx } = this;
    return {
      playbook: this.input.ir.name,
      version: this.input.ir.version,
      hash: this.input.ir.hash,
      status: this.status,
      currentStep: this.current,
      detectionIds: ctx.detections.map((d) => d.id),
      deviceIds: ctx.devices.map((d) => d.id),
      pendingApprovals: ctx.interactions.pendingApprovals(),
      pendingPages: ctx.interactions.pendingPages(),
      answered: ctx.interactions.answered(),
      steps: this.input.ir.steps.map((s) =>
        ctx.live.view(s.id, ctx.results.get(s.id), this.status === 'running'),
      ),
      effects: [...ctx.effectLog],
      ...(ctx.mde.size ? { machines: Object.fromEntries(ctx.mde) } : {}),
      ...(ctx.incidents.length ? { incidents: [...ctx.incidents] } : {}),
      ...(ctx.incidentErrors.length ? { incidentErrors: [...ctx.incidentErrors] } : {}),
      ...(this.alertSync ? { alertSync: this.alertSync } : {}),
    };
  }

  // ------------------------------------------------------------------------------------------
  // The run

  async run(): Promise<RunOutcome> {
    const { ctx } = this;
    // Devices that join after a per-device step has run get that step too, as soon as they join.
    const catchingUp = this.catchUpLoop();
    // The incidents are read beside the steps, never delaying them (runs recorded before: not read).
    const incidents = ctx.detections.some((d) => d.incident_id) && this.rt.patched(INCIDENT_READ_PATCH);
    const reading = incidents ? readIncidents(ctx) : Promise.resolve();
    let failed = false;
    for (const step of this.input.ir.steps) {
      this.current = step.id;
      const started = ctx.nowIso();
      ctx.live.begin(step.id, started);
      ctx.changed();
      let result: StepResult;
      try {
        result = await this.runStep(step);
      } catch (err) {
        result = { id: step.id, status: 'failed', reason: rootCause(err) };
      }
      result.started_at = started;
      result.finished_at = ctx.nowIso();
      ctx.results.set(step.id, result);
      ctx.live.end(step.id);
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
      (st) => !st.continueOnError && ctx.results.get(st.id)?.status === 'failed',
    );
    const outcome = failed ? 'failed' : 'completed';
    await reading;
    // Detections that joined with another incident: read theirs too.
    if (incidents) await readIncidents(ctx);
    if (this.input.ir.alertSync) this.alertSync = await syncAlerts(ctx, this.input.ir.alertSync, outcome);
    this.status = outcome;
    ctx.changed();
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
      if (this.ctx.results.has(stepId) && this.ctx.devices.some((d) => !seen.has(d.id))) return true;
    }
    return false;
  }

  private async catchUpLoop(): Promise<void> {
    const { ctx } = this;
    for (;;) {
      // No timeout: waiting here adds nothing to the history until a device actually joins.
      await this.rt.waitFor(() => this.mainDone || this.catchUpDue(), undefined);
      if (!this.catchUpDue()) return;
      for (const step of this.input.ir.steps) {
        const seen = this.perDeviceSeen.get(step.id);
        const before = ctx.results.get(step.id);
        if (!seen || !before) continue;
        const fresh = ctx.devices.filter((d) => !seen.has(d.id));
        for (const d of fresh) seen.add(d.id);
        const outcomes: StepResult[] = [];
        if (this.concurrentDevices(step, fresh.length)) {
          const els = fresh.map((device) => ({ device }));
          outcomes.push(...(await this.runConcurrently(step, els, (el) => ctx.devices.indexOf(el.device!))));
        } else {
          for (const device of fresh) {
            let r: StepResult;
            try {
              if (step.if && !ctx.ev.bool(step.if, ctx.scope({ device }))) continue;
              r = await this.runElement(step, { device }, ctx.devices.indexOf(device));
            } catch (err) {
              r = { id: step.id, status: 'failed', reason: rootCause(err) };
            }
            outcomes.push(r);
          }
        }
        if (outcomes.length === 0) continue;
        const merged = this.aggregate(step, [...(this.elementResults.get(step.id) ?? []), ...outcomes]);
        this.elementResults.set(step.id, [...(this.elementResults.get(step.id) ?? []), ...outcomes]);
        ctx.results.set(step.id, { ...merged, started_at: before.started_at, finished_at: ctx.nowIso() });
        ctx.live.end(step.id);
        ctx.changed();
      }
    }
  }

  private async runStep(step: StepIR): Promise<StepResult> {
    const { ctx } = this;
    const perDevice = isPerDevice(step);
    // Elements: for_each items, every device for per-device steps, or the step once.
    let elements: Element[];
    if (step.forEach) {
      const items = ctx.ev.list(step.forEach, ctx.scope());
      elements = items.map((item) => (perDevice ? { item, device: this.asDevice(item, step) } : { item }));
    } else if (perDevice) {
      elements = [...ctx.devices].map((device) => ({ device }));
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
        if (step.if && !ctx.ev.bool(step.if, ctx.scope(el))) continue;
        let r: StepResult;
        try {
          r = await this.runElement(step, el, i);
        } catch (err) {
          r = { id: step.id, status: 'failed', reason: rootCause(err) };
        }
        outcomes.push(r);
      }
    }
    if (single) return outcomes[0] ?? { id: step.id, status: 'skipped' };
    this.elementResults.set(step.id, outcomes);
    return this.aggregate(step, outcomes);
  }

  /**
   * A per-device step acts on its devices concurrently (bounded), so a 20-device incident is not
   * contained one device after another. Runs recorded before that keep the one-by-one path.
   */
  private concurrentDevices(step: StepIR, count: number): boolean {
    return isPerDevice(step) && count > 1 && this.rt.patched(CONCURRENT_DEVICES_PATCH);
  }

  /** The elements' results (those whose `if` holds), in element order; `n` numbers each for its keys. */
  private async runConcurrently(
    step: StepIR,
    elements: Element[],
    n: (el: Element, i: number) => number,
  ): Promise<StepResult[]> {
    const { ctx } = this;
    const results = await mapBounded(elements, MAX_CONCURRENT_DEVICES, async (el, i) => {
      try {
        if (step.if && !ctx.ev.bool(step.if, ctx.scope(el))) return null;
        return await this.runElement(step, el, n(el, i));
      } catch (err) {
        return { id: step.id, status: 'failed', reason: rootCause(err) } as StepResult;
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
    handlerOf(step).aggregate?.(result, outcomes);
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

  private runElement(step: StepIR, el: Element, n: number): Promise<StepResult> {
    return handlerOf(step).run(this.ctx, step, step.run, el, n);
  }
}
