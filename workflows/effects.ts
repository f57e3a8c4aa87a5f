// The engine's effects bound to Temporal: channel and webhook activities, Defender activities on their
// own queue (each status poll its own task), and the blast-radius reservation by signal to the
// deployment's entity workflow — with the older paths kept for runs recorded before each patch.
import {
  ActivityFailure,
  condition,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  BlastRadiusActivities,
  DefenderActivities,
  NightshiftActivities,
  ReserveIsolationRequest,
} from '../core/effects';
import type { DefenderDepthActivities } from '../core/defender-effects';
import { DEFAULT_DEFENDER_TIMEOUT_MS } from '../core/run';
import type { Effects } from '../engine/runtime';
import {
  BLAST_RADIUS_ACTIVITY_OPTIONS,
  BLAST_RADIUS_LOCAL_ACTIVITY_OPTIONS,
  CHANNEL_ACTIVITY_OPTIONS,
  defenderActivityOptions,
  isPendingTimeout,
} from './activity-options';
import { blastRadiusWorkflowId, releaseSignal, reserveSignal } from './blast-radius';
import { PATCHES } from './patches';

// Channels and webhooks heartbeat while they run (activities/keep-alive.ts): a worker killed mid-call
// is replaced within seconds.
const channels = proxyActivities<NightshiftActivities>(CHANNEL_ACTIVITY_OPTIONS);

const blast = proxyActivities<BlastRadiusActivities>(BLAST_RADIUS_ACTIVITY_OPTIONS);

// The reservation is a quick call to the blast-radius entity from this worker: as a local activity it
// skips one task-queue dispatch and one workflow-task round trip on the 3 a.m. path to isolation.
const blastLocal = proxyLocalActivities<BlastRadiusActivities>(BLAST_RADIUS_LOCAL_ACTIVITY_OPTIONS);

// Defender calls go to their own task queue, whose workers keep them within the API's quota
// (integrations/defender/quota.ts). Each status poll is its
// own activity task on that queue: defenderPoll fails with a BENIGN ActionPending until the action is final.
function defender(taskQueue: string, timeoutMs: number) {
  const opts = defenderActivityOptions(timeoutMs, taskQueue);
  return {
    submit: proxyActivities<DefenderActivities>(opts.submit),
    poll: proxyActivities<DefenderActivities>(opts.poll),
    // Lookups, hunts, live response and incidents: one API call per task like a submit (a multi-call
    // activity continues in the next task), with the submit's retries.
    depth: proxyActivities<DefenderDepthActivities>(opts.submit),
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
export function temporalEffects(defenderQueue: string, answers: Map<string, boolean>): Effects {
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
    defenderLookupMachine: (req) =>
      defender(defenderQueue, DEFAULT_DEFENDER_TIMEOUT_MS).depth.defenderLookupMachine(req),
    defenderHunt: (req) => defender(defenderQueue, DEFAULT_DEFENDER_TIMEOUT_MS).depth.defenderHunt(req),
    defenderEnsureScript: (req) =>
      defender(defenderQueue, DEFAULT_DEFENDER_TIMEOUT_MS).depth.defenderEnsureScript(req),
    defenderRunScript: (req) =>
      defender(defenderQueue, DEFAULT_DEFENDER_TIMEOUT_MS).depth.defenderRunScript(req),
    defenderScriptResult: (req) =>
      defender(defenderQueue, DEFAULT_DEFENDER_TIMEOUT_MS).depth.defenderScriptResult(req),
    defenderReadIncident: (req) =>
      defender(defenderQueue, DEFAULT_DEFENDER_TIMEOUT_MS).depth.defenderReadIncident(req),
    defenderUpdateIncident: (req) =>
      defender(defenderQueue, DEFAULT_DEFENDER_TIMEOUT_MS).depth.defenderUpdateIncident(req),
    reserveIsolation: (req) => {
      if (patched(PATCHES.blastRadiusSignals.id)) return reserveBySignal(req, answers);
      // Runs recorded before the signal protocol keep replaying what they did then.
      return patched(PATCHES.blastRadiusLocalActivity.id)
        ? blastLocal.reserveIsolation(req)
        : blast.reserveIsolation(req);
    },
    releaseIsolation: async (req) => {
      if (patched(PATCHES.blastRadiusSignals.id)) {
        await getExternalWorkflowHandle(blastRadiusWorkflowId(workflowInfo().taskQueue)).signal(
          releaseSignal,
          req,
        );
      } else await blast.releaseIsolation(req);
    },
  };
}
