// The Temporal binding of the interpreter: workflow time, timers, condition(), activities, Updates.
// One run per playbook × group key (the workflow id); the IR and the org are pinned in the input.
import {
  ApplicationFailure,
  condition,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
  allHandlersFinished,
  patched,
  proxySinks,
} from '@temporalio/workflow';
import { RunFailure } from '../core/failures';
import type { AttachResult } from '../core/messages';
import { defenderTaskQueue } from '../core/queues';
import type { RunInput, RunOutcome } from '../core/run';
import {
  answeredCode,
  SA_DETECTION_IDS,
  SA_DEVICE_IDS,
  SA_OUTCOME,
  SA_PENDING_CODES,
  SA_WAITING_FOR_APPROVAL,
} from '../core/search-attributes';
import { InteractionRefused, PlaybookInterpreter } from '../engine/interpreter';
import type { Runtime } from '../engine/runtime';
import { reservationAnswerSignal } from './blast-radius';
import { temporalEffects } from './effects';
import { ackUpdate, attachDetectionSignal, attachUpdate, decideUpdate, stateQuery } from './messages';
import { PATCHES } from './patches';
import { sharedOrg } from './shared-org';
import type { NightshiftSinks } from './sinks';

export async function playbookRun(pinned: RunInput): Promise<RunOutcome> {
  const info = workflowInfo();
  // The org of the input is replaced by the worker's shared copy: the run's own copy is garbage at once.
  const shared = sharedOrg(pinned.org);
  const input: RunInput = { ...pinned, org: shared.org };
  // Set once the interpreter exists; callbacks made before that (from its constructor) see nothing.
  const live: { interp?: PlaybookInterpreter } = {};
  const reservationAnswers = new Map<string, boolean>();
  const { metrics, effects } = proxySinks<NightshiftSinks>();
  let lastAttrs = '';
  // Runs started before this patch never listed answered codes; replaying them must not either.
  const answeredCodes = patched(PATCHES.answeredCodesAttribute.id);
  const runtime: Runtime = {
    now: () => new Date(),
    // Without a timeout no timer is scheduled, so an idle wait leaves no trace in the history.
    waitFor: (ready, timeoutMs) =>
      timeoutMs === undefined ? condition(ready).then(() => true) : condition(ready, timeoutMs),
    sleep: (ms) => sleep(ms),
    random: () => Math.random(),
    workflowId: info.workflowId,
    patched: (id) => patched(id),
    evaluatorFor: (org) => sharedOrg(org).ev,
    effects: temporalEffects(defenderTaskQueue(info.taskQueue), reservationAnswers),
    onBlastRadiusRefused: (r) =>
      effects.blastRadiusRefused({ ...r, workflowId: info.workflowId, playbook: input.ir.name }),
    onApprovalDecided: (d, askedAt) =>
      metrics.approvalDecided(
        input.ir.name,
        d.channel,
        d.outcome,
        (Date.parse(d.decidedAt) - askedAt.getTime()) / 1000,
      ),
    onStateChange: () => {
      if (!live.interp) return;
      const s = live.interp.state();
      const attrs = {
        detections: s.detectionIds,
        devices: s.deviceIds,
        waiting: s.pendingApprovals.length > 0,
        codes: [
          ...s.pendingApprovals.map((a) => a.code),
          ...s.pendingPages.map((p) => p.code),
          ...(answeredCodes ? (s.answered ?? []).map((a) => answeredCode(a.code)) : []),
        ],
      };
      // Each upsert is a history event: write only what changed.
      const key = JSON.stringify(attrs);
      if (key === lastAttrs) return;
      lastAttrs = key;
      upsertSearchAttributes([
        { key: SA_DETECTION_IDS, value: attrs.detections },
        { key: SA_DEVICE_IDS, value: attrs.devices },
        { key: SA_WAITING_FOR_APPROVAL, value: attrs.waiting },
        { key: SA_PENDING_CODES, value: attrs.codes },
      ]);
    },
  };
  live.interp = new PlaybookInterpreter(input, runtime);
  const self = live.interp;

  // A refusal must be an ApplicationFailure thrown synchronously by the validator: the Update is then
  // rejected and nothing is written to history.
  const refuse = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      if (err instanceof InteractionRefused)
        throw ApplicationFailure.nonRetryable(err.message, RunFailure.InteractionRefused);
      throw err;
    }
  };
  setHandler(decideUpdate, (d) => self.decide(d), {
    validator: (d) => refuse(() => self.validateDecision(d)),
  });
  setHandler(ackUpdate, (a) => self.ack(a), { validator: (a) => refuse(() => self.validateAck(a)) });
  setHandler(attachDetectionSignal, (d) => self.attach(d));
  // Set once the steps are done: a detection arriving then belongs to a new run, not to this one.
  let stepsDone = false;
  setHandler(
    attachUpdate,
    (d): AttachResult => {
      const seen = self.state().detectionIds.includes(d.id);
      self.attach(d);
      return seen ? 'duplicate' : 'attached';
    },
    {
      validator: (_d) => {
        if (stepsDone)
          throw ApplicationFailure.nonRetryable('the run has finished its steps', RunFailure.RunFinished);
      },
    },
  );
  setHandler(stateQuery, () => self.state());
  setHandler(reservationAnswerSignal, ({ key, granted }) => void reservationAnswers.set(key, granted));

  runtime.onStateChange?.();
  const outcome = await self.run();
  stepsDone = true;
  metrics.runFinished(input.ir.name, outcome.outcome);
  // Runs finished before this change have no outcome attribute; replaying them must not add one.
  if (patched(PATCHES.outcomeSearchAttribute.id))
    upsertSearchAttributes([{ key: SA_OUTCOME, value: outcome.outcome }]);
  await condition(allHandlersFinished);
  return outcome;
}
