// The state of one run that its steps read and write: results so far, the detections and devices that
// joined, approvals and pages, the effect log, and whether a person approved containment. Step handlers
// (engine/steps/) get it with the Runtime; the interpreter (engine/interpreter.ts) sequences the steps.
import type { Detection, Device } from '../core/detection';
import type { RunRef } from '../core/effects';
import type { StepIR } from '../core/ir';
import type { RunEffect } from '../core/messages';
import type { RunInput, StepResult } from '../core/run';
import { createEvaluator, type EvalScope, type Evaluator } from './expr/runtime';
import { Interactions } from './interactions';
import type { Element } from './keys';
import { LiveSteps } from './live-steps';
import { recipients, type ResolvedRecipient } from './recipients';
import type { Runtime } from './runtime';
import { emptyEnrichment, type DeviceEnrichment, type IncidentSummary } from '../core/defender-effects';
import type { Target } from '../core/ir';

export class RunContext {
  readonly ev: Evaluator;
  readonly results = new Map<string, StepResult>();
  readonly detections: Detection[] = [];
  readonly devices: Device[] = [];
  readonly effectLog: RunEffect[] = [];
  readonly interactions: Interactions;
  /** What running steps wait for, for the state view. */
  readonly live = new LiveSteps();
  /** Device id → what Defender knows of it (`device.mde`), once its lookup answered (engine/mde.ts). */
  readonly mde = new Map<string, DeviceEnrichment>();
  /** Device id → its lookup in flight or done: one per device per run. */
  readonly lookups = new Map<string, Promise<DeviceEnrichment>>();
  /** The run's Defender incidents as read, and those that could not be read. */
  readonly incidents: IncidentSummary[] = [];
  readonly incidentErrors: Array<{ id: string; error: string }> = [];
  readonly incidentsRead = new Set<string>();
  /** An approval step of this run decided `approved` by a person (spec §2 "human approval"). */
  humanApproved = false;

  constructor(
    readonly input: RunInput,
    readonly rt: Runtime,
  ) {
    this.ev = rt.evaluatorFor?.(input.org) ?? createEvaluator(input.org);
    this.interactions = new Interactions(
      this.personName,
      () => rt.now(),
      () => rt.random(),
    );
  }

  readonly personName = (id: string): string => this.input.org.people[id]?.name ?? id;

  get workflowId(): string {
    return this.rt.workflowId;
  }

  /** The run's current time as ISO-8601. */
  nowIso(): string {
    return this.rt.now().toISOString();
  }

  /** A further detection of the same group key: its devices join the run. False when already part of it. */
  addDetection(d: Detection): boolean {
    if (this.detections.some((x) => x.id === d.id)) return false;
    this.detections.push(d);
    for (const dev of d.devices ?? []) {
      if (!this.devices.some((x) => x.id === dev.id)) this.devices.push(dev);
    }
    return true;
  }

  /** The device with `mde` (its enrichment so far, or the zero value), as expressions and policy see it. */
  withMde<D extends Device | undefined>(d: D): D {
    return (d ? { ...d, mde: this.mde.get(d.id) ?? emptyEnrichment() } : d) as D;
  }

  /** What expressions see for element `el`: the detection, the device, the item, earlier results. */
  scope(el: Element = {}): EvalScope {
    const steps: Record<string, Record<string, unknown>> = {};
    for (const [id, r] of this.results) steps[id] = r;
    return {
      detection: this.input.detection,
      device: this.withMde(el.device ?? this.devices[0]),
      item: el.item,
      steps,
      playbook: { name: this.input.ir.name, version: this.input.ir.version, hash: this.input.ir.hash },
      now: this.rt.now(),
    };
  }

  /** Where an effect came from, for messages and logs. */
  runRef(step: StepIR): RunRef {
    return {
      workflowId: this.rt.workflowId,
      playbook: this.input.ir.name,
      playbookVersion: this.input.ir.version,
      stepId: step.id,
      detectionId: this.input.detection.id,
    };
  }

  /** An effect in the run's log (the state view, simulate's report). */
  record(effect: Omit<RunEffect, 'at'>): void {
    this.effectLog.push({ at: this.nowIso(), ...effect });
  }

  recipients(targets: Target[]): ResolvedRecipient[] {
    return recipients(this.input.org, targets, (r) => this.ev.onCall(r, this.rt.now()));
  }

  /** The live state changed (the workflow upserts its search attributes). */
  changed(): void {
    this.rt.onStateChange?.();
  }
}
