// defenderHunt: one advanced-hunting query through Microsoft Graph (issue 15 §3). The request carries the
// playbook's query text and the values of its holes apart; kqlQuery() writes each value as a KQL literal
// here, at the last moment — nothing a detection says is ever spliced into the query raw. A row limit
// is appended (one more row than wanted, to tell a cut result), and the rows come back bounded.
import { ApplicationFailure } from '@temporalio/common';
import type { HuntRequest, HuntResult } from '../core/defender-effects';
import { HUNT_COLUMN_TYPES } from '../core/defender-effects';
import {
  HuntResultError,
  MAX_HUNT_LIMIT,
  readHuntResult,
  runHuntingQuery,
} from '../integrations/defender/hunting';
import { KqlValueError, kqlQuery, withRowLimit } from '../integrations/defender/kql';
import { CallBudget, type DefenderClient } from '../integrations/defender/client';
import { toDefenderFailure } from '../integrations/defender/errors';
import { invalid } from './defender-task';

export function createHunting(client: DefenderClient) {
  return async function defenderHunt(req: HuntRequest): Promise<HuntResult> {
    const budget = new CallBudget();
    if (!Number.isInteger(req.limit) || req.limit < 1 || req.limit > MAX_HUNT_LIMIT) {
      throw invalid(`hunt limit must be 1 to ${MAX_HUNT_LIMIT} (got ${String(req.limit)})`);
    }
    for (const [c, t] of Object.entries(req.columns ?? {})) {
      if (!HUNT_COLUMN_TYPES.includes(t)) throw invalid(`hunt column ${c} has unknown type ${String(t)}`);
    }
    let query: string;
    try {
      query = withRowLimit(kqlQuery(req.query), req.limit);
    } catch (err) {
      if (err instanceof KqlValueError) throw invalid(`hunt query: ${err.message}`);
      throw err;
    }
    let answer: unknown;
    try {
      answer = await runHuntingQuery(client, query, req.timespan, budget);
    } catch (err) {
      if (err instanceof HuntResultError) throw invalid(err.message);
      throw toDefenderFailure(err, 'advanced hunting', 'hunt');
    }
    try {
      return { ...readHuntResult(answer, req.limit, req.columns), dryRun: false };
    } catch (err) {
      if (err instanceof HuntResultError) {
        throw ApplicationFailure.nonRetryable(`Defender: hunt: ${err.message}`, 'DefenderHuntResult');
      }
      throw err;
    }
  };
}
