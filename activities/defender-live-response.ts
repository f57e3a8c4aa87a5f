// Live response activities (issue 15 §4): install the shipped script when the library lacks it or holds
// another version (compared by SHA-256), run it with RunScript, and read its result. Each is one API call
// per task; RunScript is idempotent like the machine actions (a tag in the comment, a lookup after an
// attempt whose answer may be lost), except that another run's session is never adopted: Defender runs
// one session per device (400 ActiveRequestAlreadyExists), so the step waits for it to end and tries again.
import { ApplicationFailure } from '@temporalio/common';
import type { MachineActionStatus } from '../core/effects';
import type {
  EnsureScriptRequest,
  EnsureScriptResult,
  RunScriptRequest,
  RunScriptResult,
  ScriptOutcome,
  ScriptResultRequest,
} from '../core/defender-effects';
import {
  LiveResponseParamError,
  isInstalled,
  libraryScript,
  listLibrary,
  parseScriptResult,
  resultLink,
  runLiveResponse,
  runScriptBody,
  scriptArgs,
  uploadScript,
} from '../integrations/defender/live-response';
import { logEffect, type EffectLogger } from '../platform/effect-log';
import {
  actionComment,
  checkActionId,
  checkMachineId,
  idempotencyTag,
  normalizeActionStatus,
} from '../integrations/defender/actions';
import {
  CallBudget,
  odataString,
  type DefenderClient,
  type MachineAction,
} from '../integrations/defender/client';
import { DefenderApiError, toDefenderFailure } from '../integrations/defender/errors';
import {
  attemptNumber,
  busy,
  continueWith,
  invalid,
  previousProgress,
  recordProgress,
} from './defender-task';
import type { DefenderSubmitRequest } from '../core/effects';

/** How far back a retried RunScript looks for its own action. */
const LOOKUP_WINDOW_MS = 6 * 3_600_000;

interface RunProgress {
  actionId: string;
  /** The attempt after which nothing of ours can exist (a lookup found none, or our POST was refused). */
  clear: number;
}

export function createLiveResponse(client: DefenderClient, logger: EffectLogger, pollIntervalMs: number) {
  async function defenderEnsureScript(req: EnsureScriptRequest): Promise<EnsureScriptResult> {
    const budget = new CallBudget();
    const s = libraryScript(req.action, req.platform);
    const p = previousProgress<{ upload: boolean }>();
    try {
      if (!p.upload) {
        if (isInstalled(await listLibrary(client, budget), s)) {
          return { fileName: s.fileName, sha256: s.sha256, uploaded: false, dryRun: false };
        }
        throw continueWith({ upload: true }, `${s.fileName} is not in the library in this version`);
      }
      // OverrideIfExists: a retry after a lost answer, or an older version, is simply replaced.
      const e = await uploadScript(client, s, budget);
      logEffect(logger, {
        kind: 'defender.library_upload',
        run: req.run.workflowId,
        step: req.run.stepId,
        fileName: s.fileName,
        sha256: String(e?.sha256 ?? s.sha256),
      });
      return { fileName: s.fileName, sha256: s.sha256, uploaded: true, dryRun: false };
    } catch (err) {
      throw toDefenderFailure(err, `library file ${s.fileName}`, 'library upload');
    }
  }

  async function defenderRunScript(req: RunScriptRequest): Promise<RunScriptResult> {
    const budget = new CallBudget();
    const machineId = checkMachineId(req.machineId);
    let args: string;
    try {
      args = scriptArgs(req.action, req.params, req.platform);
    } catch (err) {
      if (err instanceof LiveResponseParamError) throw invalid(err.message);
      throw err;
    }
    const s = libraryScript(req.action, req.platform);
    const tag = idempotencyTag(req.key);
    const comment = actionComment({ run: req.run, params: req.params } as DefenderSubmitRequest, tag);
    const n = attemptNumber();
    const p = previousProgress<RunProgress>();
    const status = (a: MachineAction): MachineActionStatus => normalizeActionStatus(a.status) ?? 'Pending';
    try {
      if (p.actionId) {
        try {
          return {
            actionId: p.actionId,
            status: status(await client.getMachineAction(p.actionId, budget)),
            dryRun: false,
          };
        } catch (err) {
          if (err instanceof DefenderApiError && err.status === 404)
            return { actionId: p.actionId, status: 'Pending', dryRun: false };
          throw err;
        }
      }
      if (n > 1 && p.clear !== n - 1) {
        // The previous attempt may have POSTed and lost the answer: find our session by its tag.
        const since = new Date(Date.now() - LOOKUP_WINDOW_MS).toISOString();
        const filter = `machineId eq ${odataString(machineId)} and type eq 'LiveResponse' and creationDateTimeUtc ge ${since}`;
        const ours = (await client.listMachineActions(filter, 100, budget)).find((a) =>
          (a.requestorComment ?? '').includes(`[${tag}]`),
        );
        if (!ours) throw continueWith({ clear: n }, `no live response of this step on ${machineId} yet`);
        recordProgress({ actionId: ours.id });
        return { actionId: ours.id, status: status(ours), dryRun: false };
      }
      let action: MachineAction;
      try {
        action = await runLiveResponse<MachineAction>(
          client,
          machineId,
          runScriptBody(s.fileName, args, comment),
          budget,
        );
      } catch (err) {
        if (err instanceof DefenderApiError && err.isDuplicateAction) {
          // Another session is active on the device (one per device, §15.2): ours was not created.
          throw busy(
            `a live response session is already active on ${machineId}`,
            Math.max(5_000, pollIntervalMs * 3),
            { clear: n },
          );
        }
        throw err;
      }
      if (typeof action?.id !== 'string') {
        throw ApplicationFailure.retryable(
          `Defender: live response on ${machineId} returned no action id`,
          'DefenderServerError',
        );
      }
      recordProgress({ actionId: action.id });
      logEffect(logger, {
        kind: `defender.${req.action}`,
        run: req.run.workflowId,
        step: req.run.stepId,
        machineId,
        actionId: action.id,
        status: action.status,
        script: s.fileName,
      });
      return { actionId: action.id, status: status(action), dryRun: false };
    } catch (err) {
      throw toDefenderFailure(err, `machine ${machineId}`, req.action);
    }
  }

  async function defenderScriptResult(req: ScriptResultRequest): Promise<ScriptOutcome> {
    const budget = new CallBudget();
    const actionId = checkActionId(req.actionId);
    if (req.status !== 'Succeeded') {
      // The script did not complete: the command's errors say why.
      const a = (await client.getMachineAction(actionId, budget).catch((err: unknown) => {
        throw toDefenderFailure(err, `machine action ${actionId}`, 'live response result');
      })) as MachineAction & { commands?: Array<{ errors?: unknown[] }> };
      const errors = (a.commands ?? [])
        .flatMap((c) => (Array.isArray(c.errors) ? c.errors : []))
        .map((e) => (typeof e === 'string' ? e : JSON.stringify(e)));
      return {
        script_name: '',
        exit_code: -1,
        outcome: '',
        detail: {},
        output: '',
        errors: errors.join('; ').slice(0, 2_000),
      };
    }
    let link: string;
    try {
      link = await resultLink(client, actionId, 0, budget);
    } catch (err) {
      throw toDefenderFailure(err, `machine action ${actionId}`, 'live response result');
    }
    // The link is not an API call (no quota): fetched in the same task, before it expires.
    let text: string;
    try {
      text = await client.download(link);
    } catch (err) {
      // An expired or refused link is fetched anew by the retry.
      throw ApplicationFailure.retryable(
        `Defender: live response result of ${actionId}: ${err instanceof Error ? err.message : String(err)}`,
        'DefenderResultLink',
      );
    }
    try {
      return parseScriptResult(text);
    } catch (err) {
      throw ApplicationFailure.nonRetryable(
        `Defender: live response result of ${actionId}: ${(err as Error).message}`,
        'DefenderResultUnreadable',
      );
    }
  }

  return { defenderEnsureScript, defenderRunScript, defenderScriptResult };
}
