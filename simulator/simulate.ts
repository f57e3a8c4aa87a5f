// `nightshift simulate`'s engine: the real interpreter on a virtual clock, with recorded effects.
// Channels and Defender are not called; they take no virtual time and succeed (spec §6).
import type { Detection } from '../core/detection';
import type { OrgIR, PlaybookIR } from '../core/ir';
import { createEvaluator } from '../engine/expr/runtime';
import type { RunEffect } from '../core/messages';
import { PlaybookInterpreter } from '../engine/interpreter';
import { type StepResult } from '../core/run';
import type { Effects, Runtime } from '../engine/runtime';
import { ScriptedDefender } from '../integrations/defender/scripted';
import { kqlQuery } from '../integrations/defender/kql';
import type { DeviceEnrichment, IncidentSummary } from '../core/defender-effects';
import { VirtualClock } from './virtual-clock';

export interface SimulationOptions {
  at: Date;
  /** How approvals are answered; 'none' never answers. */
  approval: 'approved' | 'denied' | 'none';
  approvalAfterMs: number;
  /** Person id answering approvals; default: the approval's first allowed approver. */
  approver?: string;
  /** Pages are acknowledged by the first person paged this long after the page; null = never. */
  ackAfterMs: number | null;
  /**
   * Scripted answers (`nightshift test`), each `afterMs` after its step's approval was first asked;
   * when given, they replace `approval`/`approver`/`approvalAfterMs` (none = never answered).
   */
  answers?: ScriptedAnswer[];
  /** Scripted acknowledgements, each `afterMs` after its step's page; when given, they replace `ackAfterMs`. */
  acks?: ScriptedAck[];
  /** What the Defender tenant answers (`--defender FILE`); absent: lookups and hunts answer as a dry run. */
  defender?: ScriptedDefender;
}

export interface ScriptedAnswer {
  step: string;
  by: string;
  outcome: 'approved' | 'denied';
  afterMs: number;
  /** The channel the answer comes through (default `simulate`). */
  channel?: string;
}

export interface ScriptedAck {
  step: string;
  by: string;
  afterMs: number;
  channel?: string;
}

export interface SimulationReport {
  playbook: string;
  version: number;
  matched: boolean;
  started_at: string;
  finished_at: string;
  outcome: 'completed' | 'failed' | 'not_matched';
  steps: StepResult[];
  effects: RunEffect[];
  /** What the simulated people did that the run refused (e.g. an approver who may not decide). */
  refused: Array<{ at: string; kind: string; person: string; reason: string }>;
  /** Defender machines of the devices looked up, by device id. */
  machines?: Record<string, DeviceEnrichment>;
  /** Defender incidents read. */
  incidents?: IncidentSummary[];
  /** The hunting queries as they would be sent (every value a KQL literal), by step id. */
  queries?: Record<string, string>;
}

/** A seeded generator, so codes in a simulation are the same every time. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function simulate(
  ir: PlaybookIR,
  org: OrgIR,
  detection: Detection,
  opts: SimulationOptions,
): Promise<SimulationReport> {
  const startedAt = opts.at.toISOString();
  const refused: SimulationReport['refused'] = [];
  const ev = createEvaluator(org);
  const matched = ev.bool(ir.on.when, {
    detection,
    device: detection.devices[0],
    steps: {},
    playbook: { name: ir.name, version: ir.version, hash: ir.hash },
    now: opts.at,
  });
  if (!matched) {
    return {
      playbook: ir.name,
      version: ir.version,
      matched: false,
      started_at: startedAt,
      finished_at: startedAt,
      outcome: 'not_matched',
      steps: ir.steps.map((s) => ({ id: s.id, status: 'skipped' })),
      effects: [],
      refused,
    };
  }

  const clock = new VirtualClock(opts.at);
  // Set once the interpreter exists; callbacks made before that (from its constructor) see nothing.
  const live: { interp?: PlaybookInterpreter } = {};
  const scheduledApprovals = new Set<string>();
  const scheduledPages = new Set<string>();
  const actionIds = new Map<string, string>();
  const blastKeys: string[] = [];
  /** An answer `ms` from now; refused exactly as a live click would be (the run keeps waiting). */
  const later = (ms: number, kind: string, person: string, answer: () => void) =>
    clock.at(clock.now().getTime() + ms, () => {
      if (!live.interp || !person) return;
      try {
        answer();
      } catch (err) {
        refused.push({ at: clock.now().toISOString(), kind, person, reason: (err as Error).message });
      }
    });
  const tenant = opts.defender ?? new ScriptedDefender();
  const queries: Record<string, string> = {};
  const scriptSteps = new Map<string, { stepId: string; action: 'kill_process' | 'delete_file' }>();

  const effects: Effects = {
    async notify(req) {
      return {
        channel: 'slack',
        target: req.to.type === 'channel' ? req.to.id : req.to.person.id,
        dryRun: true,
      };
    },
    async askApproval(req) {
      if (!scheduledApprovals.has(req.approvalId)) {
        scheduledApprovals.add(req.approvalId);
        const script: ScriptedAnswer[] = opts.answers
          ? opts.answers.filter((a) => a.step === req.run.stepId)
          : opts.approval === 'none'
            ? []
            : [
                {
                  step: req.run.stepId,
                  by: opts.approver ?? req.approvers[0]?.id ?? '',
                  outcome: opts.approval,
                  afterMs: opts.approvalAfterMs,
                },
              ];
        for (const a of script) {
          const answer = {
            approvalId: req.approvalId,
            personId: a.by,
            outcome: a.outcome,
            channel: a.channel ?? 'simulate',
          };
          later(a.afterMs, 'approval', a.by, () => {
            live.interp?.validateDecision(answer);
            live.interp?.decide(answer);
          });
        }
      }
      return {
        channel: 'slack',
        target: req.to.type === 'channel' ? req.to.id : req.to.person.id,
        dryRun: true,
      };
    },
    async approvalResolved() {},
    async page(req) {
      if (!scheduledPages.has(req.pageId)) {
        scheduledPages.add(req.pageId);
        const script: ScriptedAck[] = opts.acks
          ? opts.acks.filter((a) => a.step === req.run.stepId)
          : opts.ackAfterMs === null
            ? []
            : [{ step: req.run.stepId, by: req.person.id, afterMs: opts.ackAfterMs }];
        for (const a of script) {
          const ack = { pageId: req.pageId, personId: a.by, channel: a.channel ?? 'simulate' };
          later(a.afterMs, 'page', a.by, () => {
            live.interp?.validateAck(ack);
            live.interp?.ack(ack);
          });
        }
      }
      return { channel: req.via, target: req.person.id, dryRun: true };
    },
    async webhook() {
      return { httpStatus: 200, body: null };
    },
    async defenderSubmit(req) {
      const actionId = `simulated-${actionIds.size + 1}`;
      actionIds.set(req.key, actionId);
      return {
        actionId: req.machineId ? actionId : undefined,
        indicatorId: req.action === 'block_indicator' ? actionId : undefined,
        status: 'Succeeded',
        attached: false,
        dryRun: true,
      };
    },
    async defenderAwait() {
      return 'Succeeded';
    },
    async defenderLookupMachine(req) {
      return { mde: tenant.lookup(req.device, req.detectedAt, clock.now()), dryRun: true };
    },
    async defenderHunt(req) {
      // The query is written as it would be sent, so a simulation shows (and checks) the quoting.
      queries[req.run.stepId] = kqlQuery(req.query);
      return { ...tenant.hunt(req.run.stepId, req.limit, req.columns), dryRun: true };
    },
    async defenderEnsureScript(req) {
      return { fileName: `nightshift-${req.action}`, sha256: '', uploaded: false, dryRun: true };
    },
    async defenderRunScript(req) {
      const actionId = `simulated-${actionIds.size + 1}`;
      actionIds.set(req.key, actionId);
      scriptSteps.set(actionId, { stepId: req.run.stepId, action: req.action });
      return { actionId, status: tenant.script(req.run.stepId, req.action).status, dryRun: true };
    },
    async defenderScriptResult(req) {
      const s = scriptSteps.get(req.actionId);
      return s
        ? tenant.script(s.stepId, s.action).outcome
        : { script_name: '', exit_code: -1, outcome: '', detail: {}, output: '', errors: '' };
    },
    async defenderReadIncident(req) {
      return tenant.incident(req.incidentId);
    },
    async defenderUpdateIncident() {
      return { updated: [], dryRun: true };
    },
    // Only this run exists in a simulation: the limit counts its own automatic isolations.
    async reserveIsolation(req) {
      if (blastKeys.includes(req.key)) return true;
      if (blastKeys.length >= req.limit) return false;
      blastKeys.push(req.key);
      return true;
    },
    async releaseIsolation(req) {
      const i = blastKeys.indexOf(req.key);
      if (i >= 0) blastKeys.splice(i, 1);
    },
  };

  const runtime: Runtime = {
    now: () => clock.now(),
    waitFor: (ready, ms) => clock.waitFor(ready, ms),
    sleep: (ms) => clock.sleep(ms),
    random: seeded(0x5eed),
    workflowId: `simulate/${ir.name}/${detection.id}`,
    // Nothing was recorded before: a simulation takes today's behaviour.
    patched: () => true,
    effects,
  };
  live.interp = new PlaybookInterpreter({ ir, org, detection, groupKey: detection.id }, runtime);
  let outcome: Awaited<ReturnType<PlaybookInterpreter['run']>> | undefined;
  let failure: unknown;
  const running = live.interp.run().then(
    (o) => {
      outcome = o;
    },
    (err) => {
      failure = err;
    },
  );
  await clock.run(() => outcome !== undefined || failure !== undefined);
  await running;
  if (failure) throw failure;
  const done = outcome as NonNullable<typeof outcome>;
  const state = live.interp.state();
  return {
    playbook: ir.name,
    version: ir.version,
    matched: true,
    started_at: startedAt,
    finished_at: clock.now().toISOString(),
    outcome: done.outcome,
    steps: done.steps,
    effects: done.effects,
    refused,
    ...(state.machines ? { machines: state.machines } : {}),
    ...(state.incidents ? { incidents: state.incidents } : {}),
    ...(Object.keys(queries).length ? { queries } : {}),
  };
}
