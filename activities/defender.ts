// The Defender activities (core/effects.ts DefenderActivities) over the typed client (integrations/defender/).
//
// Each activity task makes at most one API call (CallBudget), each in a slot of the quota (quota.ts): work
// that needs two calls is split over attempts, the state carried in heartbeat details, and a "continue"
// failure (DefenderContinue, BENIGN, no delay of its own) starts the next attempt (activities/defender-task.ts).
//
// Idempotency of a machine action, however often retried:
//  1. an attempt that finds an action id in the last heartbeat (recorded right after the POST) reads it;
//  2. the first attempt POSTs: nothing can exist yet, and Defender answers a duplicate of another run's
//     pending action with 400 "already in progress" or with that action (reference §5.3);
//  3. a later attempt first looks the machine's recent actions of that type up — its own (tagged comment)
//     or a pending one is reused — and POSTs only in the attempt right after a lookup that found nothing;
//     an attempt that POSTed and lost the answer is thus always followed by a lookup.
import { log } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type {
  DefenderActivities,
  DefenderPollRequest,
  DefenderSubmitRequest,
  DefenderSubmitResult,
  MachineActionStatus,
} from '../core/effects';
import { FINAL_MACHINE_ACTION_STATES } from '../core/effects';
import {
  MACHINE_ACTIONS,
  actionComment,
  alertUpdateBody,
  checkActionId,
  checkMachineId,
  idempotencyTag,
  indicatorBody,
  normalizeActionStatus,
  type MachineActionSpec,
} from '../integrations/defender/actions';
import { createAlertActivities, createDryRunAlertActivities } from './defender-alerts';
import { createDefenderDepthActivities, createDryRunDepthActivities } from './defender-depth';
import type { AllDefenderActivities } from '../core/defender-effects';
import { CallBudget, DefenderClient, odataString, type MachineAction } from '../integrations/defender/client';
import type { DefenderConfig, DefenderLiveConfig } from '../integrations/defender/config';
import { DefenderApiError, toDefenderFailure } from '../integrations/defender/errors';
import { ActionStatusBatch } from '../integrations/defender/status-batch';
import { DefenderFailure } from '../core/failures';
import { attemptNumber, continueWith, previousProgress, recordProgress } from './defender-task';
import { logEffect, type EffectLogger } from '../platform/effect-log';

/** How far back a retried submit looks for its own or a pending action. */
export const LOOKUP_WINDOW_MS = 6 * 3_600_000;
const LOOKUP_TOP = 100;
/** A new action may 404 on GET for a few seconds (reference §5.2): that many poll attempts treat 404 as pending. */
export const NOT_YET_VISIBLE_ATTEMPTS = 3;
const MAX_ALERTS_PER_UPDATE = 100;
/** Tolerated difference between our clock and Defender's when matching "in progress at busyAt". */
const CLOCK_SKEW_MS = 60_000;

interface SubmitHeartbeat {
  /** The machine action of this request, once known (POSTed or found). */
  actionId?: string;
  /** …and whether it is another run's pending action this step attached to. */
  attached?: boolean;
  /** The attempt whose lookup found no action: the attempt right after it may POST. */
  lookedUp?: number;
  /** When Defender answered our POST "already in progress" (epoch ms): the lookup attaches to that action. */
  busyAt?: number;
  /** update_alert: alerts already patched. */
  doneAlerts?: string[];
  /** update_alert: the attempt that last patched an alert, or read one (and saw our comment or not). */
  lastAlertStep?: { attempt: number; patched?: true; read?: string; commented?: boolean };
}

function isFinal(s: MachineActionStatus): boolean {
  return FINAL_MACHINE_ACTION_STATES.includes(s);
}

function statusOf(a: MachineAction): MachineActionStatus {
  // An unknown status is treated as still pending; the step timeout bounds the wait.
  return normalizeActionStatus(a.status) ?? 'Pending';
}

const previousHeartbeat = (): SubmitHeartbeat => previousProgress<SubmitHeartbeat>();
const attempt = attemptNumber;
const safeHeartbeat = (details: SubmitHeartbeat): void => recordProgress(details);

/** A pino-style logger (the worker's); activity logging is used when none is given. */
export interface DefenderLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export function createDefenderActivities(
  cfg: DefenderConfig,
  deps: { client?: DefenderClient; logger?: DefenderLogger } = {},
): AllDefenderActivities {
  if (cfg.dryRun) return createDryRunActivities(deps.logger);
  const client = deps.client ?? new DefenderClient(cfg);
  const logger: EffectLogger = deps.logger ?? { info: (obj, msg) => log.info(msg ?? '', { ...obj }) };
  return {
    ...createLiveActivities(cfg, client, logger),
    ...createAlertActivities(cfg, client),
    ...createDefenderDepthActivities(cfg, { client, logger }),
  };
}

function createLiveActivities(
  cfg: DefenderLiveConfig,
  client: DefenderClient,
  logger: EffectLogger,
): DefenderActivities {
  const statuses = new ActionStatusBatch(client);
  /** The one info line of a real machine action: ours (POSTed by this step) or adopted (another run's). */
  function logAction(req: DefenderSubmitRequest, a: MachineAction, adopted: boolean): void {
    logEffect(logger, {
      kind: `defender.${req.action}`,
      run: req.run.workflowId,
      step: req.run.stepId,
      machineId: a.machineId ?? req.machineId,
      actionId: a.id,
      status: a.status,
      adopted,
    });
  }

  /**
   * Our own action (its tag), else another run's of the same scope that is pending — or, after Defender
   * answered our POST "already in progress" at `busyAt`, one that was still in progress then (it may have
   * finished before this lookup, a task later).
   */
  function pick(
    actions: MachineAction[],
    tag: string,
    scope: string | undefined,
    busyAt: number | undefined,
  ): { action: MachineAction; ours: boolean } | undefined {
    const ours = actions.find((a) => (a.requestorComment ?? '').includes(`[${tag}]`));
    if (ours) return { action: ours, ours: true };
    const lastUpdate = (a: MachineAction) => Date.parse(a.lastUpdateDateTimeUtc ?? a.lastUpdateTimeUtc ?? '');
    const others = actions
      .filter(
        (a) =>
          (scope === undefined || !a.scope || a.scope.toLowerCase() === scope.toLowerCase()) &&
          (!isFinal(statusOf(a)) || (busyAt !== undefined && lastUpdate(a) >= busyAt - CLOCK_SKEW_MS)),
      )
      .sort((a, b) => b.creationDateTimeUtc.localeCompare(a.creationDateTimeUtc));
    return others[0] ? { action: others[0], ours: false } : undefined;
  }

  function result(a: MachineAction, attached: boolean): DefenderSubmitResult {
    return { actionId: a.id, status: statusOf(a), attached, dryRun: false };
  }

  async function submitMachineAction(
    req: DefenderSubmitRequest,
    spec: MachineActionSpec,
    budget: CallBudget,
  ): Promise<DefenderSubmitResult> {
    const machineId = checkMachineId(req.machineId);
    const tag = idempotencyTag(req.key);
    const params = { ...req.params, Comment: actionComment(req, tag) };
    const body = spec.body(params); // validates parameters before any call
    const scope = spec.scope?.(params);
    const n = attempt();
    const hb = previousHeartbeat();

    // 1. An earlier attempt created or found the action and recorded it.
    if (hb.actionId) {
      try {
        return result(await client.getMachineAction(hb.actionId, budget), hb.attached === true);
      } catch (err) {
        // Not yet visible: it exists (we got its id from the POST); report it pending.
        if (err instanceof DefenderApiError && err.status === 404) {
          return { actionId: hb.actionId, status: 'Pending', attached: hb.attached === true, dryRun: false };
        }
        throw err;
      }
    }
    // 2. A retry: our own action from an attempt whose answer was lost, or someone's pending one.
    if (n > 1 && hb.lookedUp !== n - 1) {
      const since = new Date(Date.now() - LOOKUP_WINDOW_MS).toISOString();
      const filter = `machineId eq ${odataString(machineId)} and type eq ${odataString(spec.type)} and creationDateTimeUtc ge ${since}`;
      const found = pick(await client.listMachineActions(filter, LOOKUP_TOP, budget), tag, scope, hb.busyAt);
      if (!found) throw continueWith({ lookedUp: n }, `no ${spec.type} on machine ${machineId} yet`);
      // Ours: an earlier attempt's, whose answer was lost before it could say so.
      logAction(req, found.action, !found.ours);
      safeHeartbeat({ actionId: found.action.id, attached: !found.ours });
      return result(found.action, !found.ours);
    }
    // 3. Issue it.
    let action: MachineAction;
    try {
      action = await client.postMachineAction(machineId, spec.path, body, budget);
    } catch (err) {
      if (err instanceof DefenderApiError && err.isDuplicateAction) {
        // Another run's action is in progress: the next attempt's lookup finds it and attaches.
        throw continueWith(
          { busyAt: Date.now() },
          `${spec.type} on machine ${machineId} already in progress`,
        );
      }
      throw err;
    }
    if (typeof action?.id !== 'string') {
      throw ApplicationFailure.retryable(
        `Defender: ${spec.type} on machine ${machineId} returned no action id`,
        'DefenderServerError',
      );
    }
    // A duplicate may come back as the *existing* action with 201 (reference §5.3).
    const ours = (action.requestorComment ?? '').includes(`[${tag}]`) || !action.requestorComment;
    safeHeartbeat({ actionId: action.id, attached: !ours });
    logAction(req, action, !ours);
    return result(action, !ours);
  }

  async function updateAlerts(req: DefenderSubmitRequest, budget: CallBudget): Promise<DefenderSubmitResult> {
    const ids = [...new Set(req.alertIds ?? [])];
    if (ids.length === 0)
      throw ApplicationFailure.nonRetryable(
        'Defender: update_alert has no alert ids',
        'DefenderInvalidRequest',
      );
    if (ids.length > MAX_ALERTS_PER_UPDATE) {
      throw ApplicationFailure.nonRetryable(
        `Defender: update_alert got ${ids.length} alerts (at most ${MAX_ALERTS_PER_UPDATE})`,
        'DefenderInvalidRequest',
      );
    }
    for (const id of ids) {
      if (!/^[A-Za-z0-9_-]{1,128}$/.test(id))
        throw ApplicationFailure.nonRetryable(
          `Defender: bad alert id "${id.slice(0, 130)}"`,
          'DefenderInvalidRequest',
        );
    }
    const tag = idempotencyTag(req.key);
    const comment = req.params.comment?.trim()
      ? `${req.params.comment.trim().slice(0, 900)} [${tag}]`
      : undefined;
    alertUpdateBody(req.params, comment); // validate before calling anything
    const n = attempt();
    const hb = previousHeartbeat();
    const done = new Set(hb.doneAlerts ?? []);
    // Alerts are patched in order, one per task. Only the first alert not done may have been patched
    // by an earlier attempt whose answer was lost — unless the attempt right before this one patched
    // the alert before it, or read this one.
    const last = hb.lastAlertStep?.attempt === n - 1 ? hb.lastAlertStep : undefined;
    for (const id of ids) {
      if (done.has(id)) continue;
      const mayHaveComment = comment !== undefined && n > 1 && !last?.patched && last?.read !== id;
      if (mayHaveComment) {
        // PATCH appends the comment: read the alert first, and patch in the next task.
        const alert = await client.getAlert(id, budget).catch((err: unknown) => {
          throw toDefenderFailure(err, `alert ${id}`, 'update_alert');
        });
        const comments = Array.isArray(alert.comments) ? (alert.comments as Array<{ comment?: string }>) : [];
        const commented = comments.some((c) => (c.comment ?? '').includes(`[${tag}]`));
        throw continueWith(
          { doneAlerts: [...done], lastAlertStep: { attempt: n, read: id, commented } },
          `alert ${id} read`,
        );
      }
      const body = alertUpdateBody(req.params, last?.read === id && last.commented ? undefined : comment);
      if (Object.keys(body).length === 0) {
        done.add(id); // only the comment was asked for, and it is there: no call
        continue;
      }
      await client.patchAlert(id, body, budget).catch((err: unknown) => {
        throw toDefenderFailure(err, `alert ${id}`, 'update_alert');
      });
      logEffect(logger, {
        kind: 'defender.update_alert',
        run: req.run.workflowId,
        step: req.run.stepId,
        alertId: id,
      });
      done.add(id);
      const rest = ids.filter((x) => !done.has(x));
      if (rest.length === 0) break;
      throw continueWith(
        { doneAlerts: [...done], lastAlertStep: { attempt: n, patched: true } },
        `alert ${id} updated, ${rest.length} to go`,
      );
    }
    safeHeartbeat({ doneAlerts: [...done] });
    return { status: 'Succeeded', attached: false, dryRun: false };
  }

  return {
    async defenderSubmit(req: DefenderSubmitRequest): Promise<DefenderSubmitResult> {
      const budget = new CallBudget();
      if (typeof req?.key !== 'string' || req.key.length === 0 || req.key.length > 500) {
        throw ApplicationFailure.nonRetryable(
          'Defender: request key must be 1-500 characters',
          'DefenderInvalidRequest',
        );
      }
      const spec = MACHINE_ACTIONS[req.action];
      if (spec) {
        const subject = `machine ${req.machineId ?? '(none)'}`;
        return submitMachineAction(req, spec, budget).catch((err: unknown) => {
          throw toDefenderFailure(err, subject, req.action);
        });
      }
      if (req.action === 'block_indicator') {
        try {
          // POST /api/indicators "submits or updates" (an upsert), so a retry cannot create a second one.
          const ind = await client.submitIndicator(indicatorBody(req, Date.now()), budget);
          logEffect(logger, {
            kind: 'defender.block_indicator',
            run: req.run.workflowId,
            step: req.run.stepId,
            indicatorId: String(ind.id),
            indicatorType: ind.indicatorType,
          });
          return { indicatorId: String(ind.id), status: 'Succeeded', attached: false, dryRun: false };
        } catch (err) {
          throw toDefenderFailure(err, `indicator ${req.params.value ?? ''}`.trim(), 'block_indicator');
        }
      }
      if (req.action === 'update_alert') return updateAlerts(req, budget);
      throw ApplicationFailure.nonRetryable(
        `Defender: unknown action "${String(req.action).slice(0, 40)}"`,
        'DefenderInvalidRequest',
      );
    },

    async defenderPoll(req: DefenderPollRequest): Promise<{ status: MachineActionStatus }> {
      const subject = `machine action ${String(req?.actionId).slice(0, 100)}`;
      let action: MachineAction;
      try {
        // Read with the polls of this process that arrive together: one call for all (status-batch.ts).
        action = await statuses.get(checkActionId(req.actionId));
      } catch (err) {
        if (err instanceof DefenderApiError && err.status === 404 && attempt() <= NOT_YET_VISIBLE_ATTEMPTS) {
          throw pending(req, 'not yet visible', cfg.pollIntervalMs);
        }
        throw toDefenderFailure(err, subject, 'poll');
      }
      const status = statusOf(action);
      if (isFinal(status)) return { status };
      throw pending(req, status, cfg.pollIntervalMs);
    },
  };
}

function pending(req: DefenderPollRequest, status: string, delayMs: number): ApplicationFailure {
  return ApplicationFailure.create({
    message: `Defender: action ${req.actionId} on machine ${req.machineId} is ${status}`,
    type: DefenderFailure.ActionPending,
    nextRetryDelay: delayMs,
    // Waiting is the normal case, not an error: no failure metrics, debug-level logs.
    category: ApplicationFailureCategory.BENIGN,
    details: [{ status }],
  });
}

/** No tenant configured: log what would happen, call nothing, report success. */
export function createDryRunActivities(logger?: DefenderLogger): AllDefenderActivities {
  const info = (msg: string, fields: Record<string, unknown>) =>
    logger ? logger.info(fields, msg) : log.info(msg, fields);
  return {
    async defenderSubmit(req: DefenderSubmitRequest): Promise<DefenderSubmitResult> {
      const tag = idempotencyTag(String(req?.key ?? ''));
      info(
        `DRY RUN: Defender ${req.action}${req.machineId ? ` on machine ${req.machineId}` : ''} not performed (no Defender tenant configured)`,
        {
          dryRun: true,
          action: req.action,
          machineId: req.machineId,
          alertIds: req.alertIds,
          workflowId: req.run?.workflowId,
          stepId: req.run?.stepId,
        },
      );
      return {
        actionId: MACHINE_ACTIONS[req.action] ? `dry-run-${tag}` : undefined,
        indicatorId: req.action === 'block_indicator' ? `dry-run-${tag}` : undefined,
        status: 'Succeeded',
        attached: false,
        dryRun: true,
      };
    },
    async defenderPoll(req: DefenderPollRequest): Promise<{ status: MachineActionStatus }> {
      info(`DRY RUN: Defender action ${req.actionId} reported Succeeded`, {
        dryRun: true,
        actionId: req.actionId,
      });
      return { status: 'Succeeded' };
    },
    ...createDryRunAlertActivities(),
    ...createDryRunDepthActivities(logger ?? { info: (fields, msg) => log.info(msg ?? '', { ...fields }) }),
  };
}
