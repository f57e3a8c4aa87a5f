// Prometheus metrics (prom-client): what an operator watches at 3 a.m. One registry per process;
// `nightshift start` serves it at /metrics, a standalone worker on NIGHTSHIFT_METRICS_PORT.
import { ApplicationFailure } from '@temporalio/common';
import client from 'prom-client';
import type { DefenderActivities, DefenderSubmitRequest } from '../core/effects';

export interface Metrics {
  registry: client.Registry;
  runsStarted: client.Counter<'playbook' | 'result'>;
  runsFinished: client.Counter<'playbook' | 'outcome'>;
  approvalsDecided: client.Counter<'playbook' | 'channel' | 'outcome'>;
  approvalSeconds: client.Histogram<'channel'>;
  defenderActions: client.Counter<'action' | 'status'>;
  defenderThrottled: client.Counter<'activity'>;
  intakeDetections: client.Counter<'format'>;
  intakeRejections: client.Counter<'reason'>;
  smsWrongCodes: client.Counter;
  smsLockouts: client.Counter;
}

export function createMetrics(): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'nightshift_' });
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new client.Counter<L>({ name, help, labelNames, registers: [registry] });
  return {
    registry,
    runsStarted: counter(
      'nightshift_runs_started_total',
      'Detections handed to playbook runs, by result (started, attached, duplicate).',
      ['playbook', 'result'],
    ),
    runsFinished: counter(
      'nightshift_runs_finished_total',
      'Playbook runs finished, by outcome (completed, failed).',
      ['playbook', 'outcome'],
    ),
    approvalsDecided: counter(
      'nightshift_approvals_decided_total',
      'Approvals decided, by channel (timeout included) and outcome.',
      ['playbook', 'channel', 'outcome'],
    ),
    approvalSeconds: new client.Histogram({
      name: 'nightshift_approval_decision_seconds',
      help: 'Time from asking to a decision, by channel.',
      labelNames: ['channel'],
      buckets: [5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600],
      registers: [registry],
    }),
    defenderActions: counter(
      'nightshift_defender_actions_total',
      'Defender actions submitted, by type and the state reported.',
      ['action', 'status'],
    ),
    defenderThrottled: counter(
      'nightshift_defender_throttled_total',
      'Defender API answers 429 (retried after Retry-After).',
      ['activity'],
    ),
    intakeDetections: counter(
      'nightshift_intake_detections_total',
      'Detections accepted by the intake, by format.',
      ['format'],
    ),
    intakeRejections: counter(
      'nightshift_intake_rejections_total',
      'Detections refused by the intake, by reason.',
      ['reason'],
    ),
    smsWrongCodes: counter(
      'nightshift_sms_wrong_codes_total',
      'SMS replies from a registered number whose code matches no request of that person.',
      [],
    ),
    smsLockouts: counter(
      'nightshift_sms_lockouts_total',
      'Numbers locked out after too many wrong SMS codes (their replies refused for a while).',
      [],
    ),
  };
}

function failureType(err: unknown): string | undefined {
  return err instanceof ApplicationFailure ? (err.type ?? undefined) : undefined;
}

/** Counts Defender actions and throttling around the real activities (same names, same behaviour). */
export function instrumentDefender<T extends DefenderActivities>(acts: T, m: Metrics): T {
  return {
    ...acts,
    async defenderSubmit(req: DefenderSubmitRequest) {
      try {
        const r = await acts.defenderSubmit(req);
        m.defenderActions.inc({ action: req.action, status: r.dryRun ? 'DryRun' : r.status });
        return r;
      } catch (err) {
        if (failureType(err) === 'DefenderThrottled') m.defenderThrottled.inc({ activity: 'defenderSubmit' });
        else if (err instanceof ApplicationFailure && err.nonRetryable) {
          m.defenderActions.inc({ action: req.action, status: 'Error' });
        }
        throw err;
      }
    },
    async defenderPoll(req) {
      try {
        return await acts.defenderPoll(req);
      } catch (err) {
        if (failureType(err) === 'DefenderThrottled') m.defenderThrottled.inc({ activity: 'defenderPoll' });
        throw err;
      }
    },
  };
}
