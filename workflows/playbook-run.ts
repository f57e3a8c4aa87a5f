// The Temporal binding of the interpreter: workflow time, timers, condition(), activities, Updates.
// One run per playbook × group key (the workflow id); the IR and the org are pinned in the input.
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
  allHandlersFinished,
  patched,
  getExternalWorkflowHandle,
  proxyLocalActivities,
  proxySinks,
} from '@temporalio/workflow';
import type { NightshiftSinks } from './sinks';
import type { DefenderActivities, NightshiftActivities } from '../activities/contracts';
import { ACTIVITY_HEARTBEAT_TIMEOUT_MS, defenderTaskQueue } from '../activities/contracts';
import { defenderActivityOptions, isPendingTimeout } from '../activities/defender/options';
import type { BlastRadiusActivities } from '../activities/blast-radius';
import type { ReserveIsolationRequest } from './interpreter/runtime';
import { blastRadiusWorkflowId, releaseSignal, reservationAnswerSignal, reserveSignal } from './blast-radius';
import {
  DEFAULT_DEFENDER_TIMEOUT_MS,
  PlaybookInterpreter,
  type RunInput,
  type RunOutcome,
  InteractionRefused,
} from './interpreter/interpreter';
import type { Effects, Runtime } from './interpreter/runtime';
import {
  ackUpdate,
  attachDetectionSignal,
  attachUpdate,
  decideUpdate,
  stateQuery,
  type AttachResult,
} from './messages';
import {
  answeredCode,
  SA_DETECTION_IDS,
  SA_DEVICE_IDS,
  SA_OUTCOME,
  SA_PENDING_CODES,
  SA_WAITING_FOR_APPROVAL,
} from './search-attributes';

// Channels and webhooks: a few quick retries; each call is idempotent by its key. They heartbeat while
// they run (activities/keep-alive.ts): a worker killed mid-call is replaced within seconds.
const channels = proxyActivities<NightshiftActivities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT_MS,
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

const blast = proxyActivities<BlastRadiusActivities>({
  startToCloseTimeout: '30 seconds',
  // The activity retries congestion itself; this is for a worker that died mid-call.
  retry: { initialInterval: '200 milliseconds', maximumInterval: '2 seconds' },
});

// The reservation is a quick call to the blast-radius entity from this worker: as a local activity it
// skips one task-queue dispatch and one workflow-task round trip on the 3 a.m. path to isolation.
const blastLocal = proxyLocalActivities<BlastRadiusActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '2 seconds' },
});

// Defender calls go to their own task queue, where a task-queue rate limit shared by every worker
// keeps them within the API's limits (activities/defender/worker.ts). Each status poll is its own
// activity task on that queue: defenderPoll fails with a BENIGN ActionPending until the action is final.
function defender(taskQueue: string, timeoutMs: number) {
  const opts = defenderActivityOptions(timeoutMs, taskQueue);
  return {
    submit: proxyActivities<DefenderActivities>(opts.submit),
    poll: proxyActivities<DefenderActivities>(opts.poll),
  };
}

/** How long a run waits for the blast-radius entity before treating the isolation as not allowed. */
const RESERVATION_WAIT = '2 minutes';

async function reserveBySignal(
  req: ReserveIsolationRequest,
  answers: Map<string, boolean>,
): Promise<boolean> {
  const entity = getExternalWorkflowHandle(blastRadiusWorkflowId(workflowInfo().taskQueue));
  const ask = () => entity.signal(reserveSignal, req);
  try {
    await ask();
  } catch {
    // The entity has not started yet in this deployment: start it, then ask again.
    await blast.ensureBlastRadius();
    await ask();
  }
  // Fail closed: without an answer there is no automatic isolation (the step fails with blast_radius).
  if (!(await condition(() => answers.has(req.key), RESERVATION_WAIT))) return false;
  return answers.get(req.key) as boolean;
}

/** `answers`: the blast-radius entity's answers to this run's requests, by key (signal handler). */
function temporalEffects(defenderQueue: string, answers: Map<string, boolean>): Effects {
  return {
    notify: (req) => channels.notify(req),
    askApproval: (req) => channels.askApproval(req),
    approvalResolved: (req) => channels.approvalResolved(req),
    page: (req) => channels.page(req),
    webhook: (req) => channels.webhook(req),
    defenderSubmit: (req) => defender(defenderQueue, DEFAULT_DEFENDER_TIMEOUT_MS).submit.defenderSubmit(req),
    async defenderAwait(req, timeoutMs) {
      try {
        const { status } = await defender(defenderQueue, timeoutMs).poll.defenderPoll(req);
        return status;
      } catch (err) {
        // The step's timeout is the poll's schedule-to-close timeout.
        if (err instanceof ActivityFailure && isPendingTimeout(err)) return 'timed_out';
        throw err;
      }
    },
    reserveIsolation: (req) => {
      if (patched('blast-radius-signals')) return reserveBySignal(req, answers);
      // Runs recorded before the signal protocol keep replaying what they did then.
      return patched('blast-radius-local-activity')
        ? blastLocal.reserveIsolation(req)
        : blast.reserveIsolation(req);
    },
    releaseIsolation: async (req) => {
      if (patched('blast-radius-signals')) {
        await getExternalWorkflowHandle(blastRadiusWorkflowId(workflowInfo().taskQueue)).signal(
          releaseSignal,
          req,
        );
      } else await blast.releaseIsolation(req);
    },
  };
}

export async function playbookRun(input: RunInput): Promise<RunOutcome> {
  const info = workflowInfo();
  // Set once the interpreter exists; callbacks made before that (from its constructor) see nothing.
  const live: { interp?: PlaybookInterpreter } = {};
  const reservationAnswers = new Map<string, boolean>();
  const { metrics, effects } = proxySinks<NightshiftSinks>();
  let lastAttrs = '';
  // Runs started before this patch never listed answered codes; replaying them must not either.
  const answeredCodes = patched('answered-codes-attribute');
  const runtime: Runtime = {
    now: () => new Date(),
    // Without a timeout no timer is scheduled, so an idle wait leaves no trace in the history.
    waitFor: (ready, timeoutMs) =>
      timeoutMs === undefined ? condition(ready).then(() => true) : condition(ready, timeoutMs),
    sleep: (ms) => sleep(ms),
    random: () => Math.random(),
    workflowId: info.workflowId,
    patched: (id) => patched(id),
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
        throw ApplicationFailure.nonRetryable(err.message, 'InteractionRefused');
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
        if (stepsDone) throw ApplicationFailure.nonRetryable('the run has finished its steps', 'RunFinished');
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
  if (patched('outcome-search-attribute'))
    upsertSearchAttributes([{ key: SA_OUTCOME, value: outcome.outcome }]);
  await condition(allHandlersFinished);
  return outcome;
}
