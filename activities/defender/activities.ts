// The Defender activities (activities/contracts.ts DefenderActivities) over the typed client.
// Idempotency: a retried submit first reads its own heartbeat (the action id recorded right after the
// POST), then looks the machine's recent actions of that type up: its own (tagged comment) or any
// pending one is reused; a 400 "already in progress" leads to the same lookup. So one step, however
// often retried, issues at most one action.
import { activityInfo, heartbeat, log } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type {
  DefenderActivities,
  DefenderPollRequest,
  DefenderSubmitRequest,
  DefenderSubmitResult,
  MachineActionStatus,
} from '../contracts';
import { FINAL_MACHINE_ACTION_STATES } from '../contracts';
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
} from './actions';
import { createAlertActivities, createDryRunAlertActivities, type DefenderAlertActivities } from './alerts';
import { DefenderClient, odataString, type MachineAction } from './client';
import type { DefenderConfig, DefenderLiveConfig } from './config';
import { DefenderApiError, toDefenderFailure } from './errors';
import { DEFENDER_ACTION_PENDING } from './options';

/** How far back a retried submit looks for its own or a pending action. */
export const LOOKUP_WINDOW_MS = 6 * 3_600_000;
const LOOKUP_TOP = 100;
/** A new action may 404 on GET for a few seconds (reference §5.2): that many poll attempts treat 404 as pending. */
export const NOT_YET_VISIBLE_ATTEMPTS = 3;
const MAX_ALERTS_PER_UPDATE = 100;

export type AllDefenderActivities = DefenderActivities & DefenderAlertActivities;

interface SubmitHeartbeat {
  actionId?: string;
  /** update_alert: alerts already patched by an earlier attempt. */
  doneAlerts?: string[];
}

function isFinal(s: MachineActionStatus): boolean {
  return FINAL_MACHINE_ACTION_STATES.includes(s);
}

function statusOf(a: MachineAction): MachineActionStatus {
  // An unknown status is treated as still pending; the step timeout bounds the wait.
  return normalizeActionStatus(a.status) ?? 'Pending';
}

function previousHeartbeat(): SubmitHeartbeat {
  try {
    const d = activityInfo().heartbeatDetails as SubmitHeartbeat | undefined;
    return d && typeof d === 'object' ? d : {};
  } catch {
    return {};
  }
}

function attempt(): number {
  try {
    return activityInfo().attempt;
  } catch {
    return 1;
  }
}

function safeHeartbeat(details: SubmitHeartbeat): void {
  try {
    heartbeat(details);
  } catch {
    // Outside an activity context (direct calls in unit tests): nothing to record.
  }
}

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
  return { ...createLiveActivities(cfg, client), ...createAlertActivities(cfg, client) };
}

function createLiveActivities(cfg: DefenderLiveConfig, client: DefenderClient): DefenderActivities {
  async function findActions(machineId: string, spec: MachineActionSpec): Promise<MachineAction[]> {
    const since = new Date(Date.now() - LOOKUP_WINDOW_MS).toISOString();
    const filter = `machineId eq ${odataString(machineId)} and type eq ${odataString(spec.type)} and creationDateTimeUtc ge ${since}`;
    return client.listMachineActions(filter, LOOKUP_TOP);
  }

  function pick(
    actions: MachineAction[],
    tag: string,
    scope: string | undefined,
  ): { action: MachineAction; ours: boolean } | undefined {
    const ours = actions.find((a) => (a.requestorComment ?? '').includes(`[${tag}]`));
    if (ours) return { action: ours, ours: true };
    const pending = actions
      .filter(
        (a) =>
          !isFinal(statusOf(a)) &&
          (scope === undefined || !a.scope || a.scope.toLowerCase() === scope.toLowerCase()),
      )
      .sort((a, b) => b.creationDateTimeUtc.localeCompare(a.creationDateTimeUtc));
    return pending[0] ? { action: pending[0], ours: false } : undefined;
  }

  function result(a: MachineAction, attached: boolean): DefenderSubmitResult {
    return { actionId: a.id, status: statusOf(a), attached, dryRun: false };
  }

  async function submitMachineAction(
    req: DefenderSubmitRequest,
    spec: MachineActionSpec,
  ): Promise<DefenderSubmitResult> {
    const machineId = checkMachineId(req.machineId);
    const tag = idempotencyTag(req.key);
    const params = { ...req.params, Comment: actionComment(req, tag) };
    const body = spec.body(params); // validates parameters before any call
    const scope = spec.scope?.(params);

    // 1. An earlier attempt of this activity created the action and recorded it.
    const hb = previousHeartbeat();
    if (hb.actionId) {
      try {
        return result(await client.getMachineAction(hb.actionId), false);
      } catch (err) {
        // Not yet visible: it exists (we got its id from the POST); report it pending.
        if (err instanceof DefenderApiError && err.status === 404) {
          return { actionId: hb.actionId, status: 'Pending', attached: false, dryRun: false };
        }
        throw err;
      }
    }
    // 2. Our own action from an attempt whose heartbeat was lost, or someone's pending one.
    const found = pick(await findActions(machineId, spec), tag, scope);
    if (found) {
      log.info('Defender: reusing existing machine action', {
        actionId: found.action.id,
        machineId,
        type: spec.type,
        ours: found.ours,
      });
      return result(found.action, !found.ours);
    }
    // 3. Issue it.
    let action: MachineAction;
    try {
      action = await client.postMachineAction(machineId, spec.path, body);
    } catch (err) {
      if (err instanceof DefenderApiError && err.isDuplicateAction) {
        const dup = pick(await findActions(machineId, spec), tag, undefined);
        if (dup) return result(dup.action, !dup.ours);
        // The pending action is not listed yet: retry shortly (the lookup will find it).
        throw ApplicationFailure.create({
          message: `Defender: ${spec.type} on machine ${machineId} is already in progress but not yet listed; retrying`,
          type: 'DefenderDuplicatePending',
          nextRetryDelay: 2_000,
        });
      }
      throw err;
    }
    if (typeof action?.id !== 'string') {
      throw ApplicationFailure.retryable(
        `Defender: ${spec.type} on machine ${machineId} returned no action id`,
        'DefenderServerError',
      );
    }
    safeHeartbeat({ actionId: action.id });
    // A duplicate may come back as the *existing* action with 201 (reference §5.3).
    const ours = (action.requestorComment ?? '').includes(`[${tag}]`) || !action.requestorComment;
    return result(action, !ours);
  }

  async function updateAlerts(req: DefenderSubmitRequest): Promise<DefenderSubmitResult> {
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
    const done = new Set(previousHeartbeat().doneAlerts ?? []);
    for (const id of ids) {
      if (done.has(id)) continue;
      let withComment = comment;
      if (comment && attempt() > 1) {
        // A lost attempt may have appended the comment already; PATCH appends, so look first.
        const alert = await client.getAlert(id).catch((err: unknown) => {
          throw toDefenderFailure(err, `alert ${id}`, 'update_alert');
        });
        const comments = Array.isArray(alert.comments) ? (alert.comments as Array<{ comment?: string }>) : [];
        if (comments.some((c) => (c.comment ?? '').includes(`[${tag}]`))) withComment = undefined;
      }
      const body = alertUpdateBody(req.params, withComment);
      if (Object.keys(body).length > 0) {
        await client.patchAlert(id, body).catch((err: unknown) => {
          throw toDefenderFailure(err, `alert ${id}`, 'update_alert');
        });
      }
      done.add(id);
      safeHeartbeat({ doneAlerts: [...done] });
    }
    return { status: 'Succeeded', attached: false, dryRun: false };
  }

  return {
    async defenderSubmit(req: DefenderSubmitRequest): Promise<DefenderSubmitResult> {
      if (typeof req?.key !== 'string' || req.key.length === 0 || req.key.length > 500) {
        throw ApplicationFailure.nonRetryable(
          'Defender: request key must be 1-500 characters',
          'DefenderInvalidRequest',
        );
      }
      const spec = MACHINE_ACTIONS[req.action];
      if (spec) {
        const subject = `machine ${req.machineId ?? '(none)'}`;
        return submitMachineAction(req, spec).catch((err: unknown) => {
          throw toDefenderFailure(err, subject, req.action);
        });
      }
      if (req.action === 'block_indicator') {
        try {
          // POST /api/indicators "submits or updates" (an upsert), so a retry cannot create a second one.
          const ind = await client.submitIndicator(indicatorBody(req, Date.now()));
          return { indicatorId: String(ind.id), status: 'Succeeded', attached: false, dryRun: false };
        } catch (err) {
          throw toDefenderFailure(err, `indicator ${req.params.value ?? ''}`.trim(), 'block_indicator');
        }
      }
      if (req.action === 'update_alert') return updateAlerts(req);
      throw ApplicationFailure.nonRetryable(
        `Defender: unknown action "${String(req.action).slice(0, 40)}"`,
        'DefenderInvalidRequest',
      );
    },

    async defenderPoll(req: DefenderPollRequest): Promise<{ status: MachineActionStatus }> {
      const subject = `machine action ${String(req?.actionId).slice(0, 100)}`;
      let action: MachineAction;
      try {
        action = await client.getMachineAction(checkActionId(req.actionId));
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
    type: DEFENDER_ACTION_PENDING,
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
  };
}
