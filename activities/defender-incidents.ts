// Incident activities (issue 15 §5): read the XDR incident into the run state's bounded summary (never
// fatal: a missing permission or incident is reported, not thrown), and update_incident — PATCH one
// incident per task. PATCH replaces the tag list and appends the comment, so a step that adds tags or a
// comment reads the incident first (one task), then patches (the next): tags are merged with what
// people set, and a comment already carrying this step's tag is not added twice.
import type {
  IncidentReadRequest,
  IncidentReadResult,
  IncidentUpdateRequest,
  IncidentUpdateResult,
} from '../core/defender-effects';
import {
  IncidentParamError,
  checkIncidentId,
  getIncident,
  incidentSummary,
  incidentUpdateBody,
  patchIncident,
} from '../integrations/defender/incidents';
import { logEffect, type EffectLogger } from '../platform/effect-log';
import { idempotencyTag } from '../integrations/defender/actions';
import { CallBudget, type DefenderClient } from '../integrations/defender/client';
import { DefenderApiError, toDefenderFailure } from '../integrations/defender/errors';
import { attemptNumber, continueWith, invalid, previousProgress, recordProgress } from './defender-task';

/** Incidents one update step patches at most. */
export const MAX_INCIDENTS_PER_UPDATE = 20;

interface UpdateProgress {
  done: string[];
  /** The incident read by the attempt `attempt`: its tags, and whether our comment is already there. */
  read: { id: string; attempt: number; tags: string[]; commented: boolean };
}

export function createIncidents(client: DefenderClient, logger: EffectLogger, portalUrl?: string) {
  async function defenderReadIncident(req: IncidentReadRequest): Promise<IncidentReadResult> {
    const budget = new CallBudget();
    let id: string;
    try {
      id = checkIncidentId(req.incidentId);
    } catch (err) {
      return { error: (err as Error).message, dryRun: false };
    }
    try {
      return { incident: incidentSummary(await getIncident(client, id, budget), portalUrl), dryRun: false };
    } catch (err) {
      // Not found or not permitted: the run goes on without the story, and says why.
      if (err instanceof DefenderApiError && [400, 403, 404].includes(err.status)) {
        return { error: `incident ${id}: ${err.status} ${err.code}: ${err.apiMessage}`, dryRun: false };
      }
      throw toDefenderFailure(err, `incident ${id}`, 'read incident');
    }
  }

  async function defenderUpdateIncident(req: IncidentUpdateRequest): Promise<IncidentUpdateResult> {
    const budget = new CallBudget();
    const ids = [...new Set(req.incidentIds)];
    if (ids.length === 0) throw invalid('update_incident: the run has no incident (no detection names one)');
    if (ids.length > MAX_INCIDENTS_PER_UPDATE) {
      throw invalid(`update_incident got ${ids.length} incidents (at most ${MAX_INCIDENTS_PER_UPDATE})`);
    }
    const tag = idempotencyTag(req.key);
    const u = req.update;
    const comment = u.comment?.trim() ? `${u.comment.trim().slice(0, 900)} [${tag}]` : undefined;
    try {
      for (const id of ids) checkIncidentId(id);
      incidentUpdateBody({ ...u, comment }); // validate before any call
    } catch (err) {
      if (err instanceof IncidentParamError) throw invalid(`update_incident: ${err.message}`);
      throw err;
    }
    const needsRead = (u.tags?.length ?? 0) > 0 || comment !== undefined;
    const n = attemptNumber();
    const p = previousProgress<UpdateProgress>();
    const done = new Set(p.done ?? []);
    for (const id of ids) {
      if (done.has(id)) continue;
      const read = p.read?.id === id && p.read.attempt === n - 1 ? p.read : undefined;
      try {
        if (needsRead && !read) {
          const inc = await getIncident(client, id, budget);
          const comments = Array.isArray(inc.comments) ? inc.comments : [];
          throw continueWith(
            {
              done: [...done],
              read: {
                id,
                attempt: n,
                tags: (inc.tags ?? []).filter((t): t is string => typeof t === 'string'),
                commented: comments.some((c) => (c?.comment ?? '').includes(`[${tag}]`)),
              },
            },
            `incident ${id} read`,
          );
        }
        const body = incidentUpdateBody(
          { ...u, comment: read?.commented ? undefined : comment },
          read?.tags ?? [],
        );
        await patchIncident(client, id, body, budget);
        logEffect(logger, {
          kind: 'defender.update_incident',
          run: req.run.workflowId,
          step: req.run.stepId,
          incidentId: id,
        });
      } catch (err) {
        if (err instanceof IncidentParamError) {
          // Only the comment was asked for, and it is there already: nothing to patch.
          if (/needs at least one of/.test(err.message)) {
            done.add(id);
            continue;
          }
          throw invalid(`update_incident: ${err.message}`);
        }
        throw toDefenderFailure(err, `incident ${id}`, 'update_incident');
      }
      done.add(id);
      const rest = ids.filter((x) => !done.has(x));
      if (rest.length === 0) break;
      throw continueWith({ done: [...done] }, `incident ${id} updated, ${rest.length} to go`);
    }
    recordProgress({ done: [...done] });
    return { updated: [...done], dryRun: false };
  }

  return { defenderReadIncident, defenderUpdateIncident };
}
