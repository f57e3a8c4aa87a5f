// The worker side of workflows/sinks.ts: workflow metrics land in the process's Prometheus registry,
// effect lines in its log.
import type { InjectedSinks } from '@temporalio/worker';
import { logEffect, type EffectLogger } from '../platform/effect-log';
import type { Metrics } from '../platform/metrics';
import type { NightshiftSinks } from '../workflows/sinks';

export function metricsSinks(m: Metrics, logger?: EffectLogger): InjectedSinks<NightshiftSinks> {
  return {
    effects: {
      blastRadiusRefused: {
        fn: (_info, r) => {
          if (!logger) return;
          logEffect(logger, {
            kind: 'blast_radius.refused',
            run: r.workflowId,
            playbook: r.playbook,
            step: r.stepId,
            machineId: r.deviceId,
            limit: r.limit,
            windowMs: r.windowMs,
          });
        },
        callDuringReplay: false,
      },
    },
    metrics: {
      runFinished: {
        fn: (_info, playbook, outcome) => m.runsFinished.inc({ playbook, outcome }),
        callDuringReplay: false,
      },
      approvalDecided: {
        fn: (_info, playbook, channel, outcome, seconds) => {
          m.approvalsDecided.inc({ playbook, channel, outcome });
          m.approvalSeconds.observe({ channel }, Math.max(0, seconds));
        },
        callDuringReplay: false,
      },
    },
  };
}
