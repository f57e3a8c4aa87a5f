// The alert poller's activity: read one page of new/updated alerts, normalize them to the spec §5
// Detection, and decide which are confirmed with a CEL rule. The workflow (workflows/defender-intake.ts)
// keeps the cursor and hands confirmed detections to `intakeDetections`.
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { DefenderFailure } from '../core/failures';
import type { DefenderAlertActivities, FetchAlertsRequest, FetchAlertsResult } from '../core/effects';
import {
  alertKey,
  celValue,
  compileRule,
  DEFAULT_CONFIRM_RULE,
  MAX_PAGE_SIZE,
  normalizeAlert,
} from '../integrations/defender/alerts';
import { CallBudget, type DefenderAlert, type DefenderClient } from '../integrations/defender/client';
import type { DefenderLiveConfig } from '../integrations/defender/config';
import { toDefenderFailure } from '../integrations/defender/errors';

export function createAlertActivities(
  cfg: DefenderLiveConfig,
  client: DefenderClient,
): DefenderAlertActivities {
  return {
    async defenderFetchAlerts(req: FetchAlertsRequest): Promise<FetchAlertsResult> {
      const budget = new CallBudget();
      const since = String(req?.since ?? '');
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$/.test(since)) {
        throw ApplicationFailure.nonRetryable(
          `Defender: since must be an ISO UTC timestamp (got "${since.slice(0, 40)}")`,
          DefenderFailure.InvalidRequest,
        );
      }
      const top = Math.min(Math.max(1, Math.floor(req.top)), MAX_PAGE_SIZE);
      const skip = Math.max(0, Math.floor(req.skip));
      const rule = compileRule(req.rule ?? DEFAULT_CONFIRM_RULE);
      let alerts: DefenderAlert[];
      try {
        alerts = await client.listAlerts(
          { filter: `lastUpdateTime ge ${since}`, top, skip, expandEvidence: true },
          budget,
        );
      } catch (err) {
        throw toDefenderFailure(err, 'alerts', 'list alerts');
      }
      const result: FetchAlertsResult = { count: alerts.length, entries: [], confirmed: [], ruleErrors: 0 };
      for (const alert of alerts) {
        if (!alert || typeof alert.id !== 'string' || typeof alert.lastUpdateTime !== 'string') {
          log.warn('Defender: skipping an alert without id or lastUpdateTime');
          continue;
        }
        const key = alertKey(alert);
        result.entries.push({ key, lastUpdateTime: alert.lastUpdateTime });
        const detection = normalizeAlert(alert, { portalUrl: cfg.portalUrl });
        let confirmed = false;
        try {
          confirmed = rule({ alert: celValue(alert), detection: celValue(detection) }) === true;
        } catch (err) {
          result.ruleErrors += 1;
          log.warn('Defender: intake rule failed on an alert; not confirmed', {
            alertId: alert.id,
            error: String((err as Error).message).split('\n')[0],
          });
        }
        if (confirmed) result.confirmed.push({ key, detection });
      }
      return result;
    },
  };
}

export function createDryRunAlertActivities(): DefenderAlertActivities {
  return {
    async defenderFetchAlerts(): Promise<FetchAlertsResult> {
      log.debug('DRY RUN: no Defender tenant configured, no alerts read');
      return { count: 0, entries: [], confirmed: [], ruleErrors: 0 };
    },
  };
}
