// Activities with the final interfaces that record what they would do, for interpreter tests (the
// Defender and channel adapters have their own tests against protocol-faithful fakes).
import { createDryRunDepthActivities } from '../../activities/defender-depth';
import { ApplicationFailure } from '@temporalio/common';
import { DefenderFailure } from '../../core/failures';
import type {
  ApprovalAskRequest,
  ApprovalResolvedRequest,
  DefenderSubmitRequest,
  MachineActionStatus,
  NotifyRequest,
  PageRequest,
  PostedMessage,
  WebhookRequest,
} from '../../core/effects';

export interface Recorded {
  notify: NotifyRequest[];
  ask: ApprovalAskRequest[];
  resolved: ApprovalResolvedRequest[];
  page: PageRequest[];
  webhook: WebhookRequest[];
  defender: DefenderSubmitRequest[];
  /** When each machine's action was submitted, and when a poll first found it final (epoch ms). */
  submittedAt: Map<string, number>;
  finalAt: Map<string, number>;
}

export function recordingActivities(
  opts: {
    finalStatus?: (machineId: string) => MachineActionStatus;
    /** Machines whose action never leaves Pending (the poll keeps failing with ActionPending). */
    stuck?: (machineId: string) => boolean;
    /** How long a machine's action stays Pending after its submit (polled every 200 ms meanwhile). */
    pendingMs?: (machineId: string) => number;
    /** Holds every approvalResolved call until it settles: keeps a decided run open for a late answer. */
    resolvedHeld?: Promise<void>;
  } = {},
) {
  const rec: Recorded = {
    notify: [],
    ask: [],
    resolved: [],
    page: [],
    webhook: [],
    defender: [],
    submittedAt: new Map(),
    finalAt: new Map(),
  };
  const posted = (channel: PostedMessage['channel'], target: string): PostedMessage => ({
    channel,
    target,
    dryRun: true,
  });
  const main = {
    async notify(req: NotifyRequest) {
      rec.notify.push(req);
      return posted('slack', req.to.type === 'channel' ? req.to.id : req.to.person.id);
    },
    async askApproval(req: ApprovalAskRequest) {
      rec.ask.push(req);
      return posted('slack', req.to.type === 'channel' ? req.to.id : req.to.person.id);
    },
    async approvalResolved(req: ApprovalResolvedRequest) {
      rec.resolved.push(req);
      await opts.resolvedHeld;
    },
    async page(req: PageRequest) {
      rec.page.push(req);
      return posted(req.via, req.person.id);
    },
    async webhook(req: WebhookRequest) {
      rec.webhook.push(req);
      return { httpStatus: 200, body: { ok: true } };
    },
  };
  let actions = 0;
  const defender = {
    async defenderSubmit(req: DefenderSubmitRequest) {
      rec.defender.push(req);
      if (req.machineId) rec.submittedAt.set(req.machineId, Date.now());
      actions++;
      return {
        actionId: req.machineId ? `action-${actions}` : undefined,
        status: 'Pending' as const,
        attached: false,
        dryRun: true,
      };
    },
    async defenderPoll(req: { actionId: string; machineId: string }) {
      if (opts.stuck?.(req.machineId)) {
        // As the real activity does while an action is not final.
        throw ApplicationFailure.create({
          message: `machine action ${req.actionId} is still Pending`,
          type: DefenderFailure.ActionPending,
          // Longer than the test's step timeout: Temporal then ends the poll with this failure itself.
          nextRetryDelay: 5_000,
        });
      }
      const submitted = rec.submittedAt.get(req.machineId) ?? 0;
      if (opts.pendingMs && Date.now() < submitted + opts.pendingMs(req.machineId)) {
        throw ApplicationFailure.create({
          message: `machine action ${req.actionId} is still Pending`,
          type: DefenderFailure.ActionPending,
          nextRetryDelay: 200,
        });
      }
      if (!rec.finalAt.has(req.machineId)) rec.finalAt.set(req.machineId, Date.now());
      return { status: opts.finalStatus?.(req.machineId) ?? ('Succeeded' as MachineActionStatus) };
    },
    // Lookups, hunts, live response, incidents: as without a tenant (the real dry-run adapter).
    ...createDryRunDepthActivities({ info: () => undefined }),
  };
  return { rec, main, defender };
}
