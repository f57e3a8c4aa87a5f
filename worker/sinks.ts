// The worker side of workflows/sinks.ts: workflow metrics land in the process's Prometheus registry.
import type { InjectedSinks } from '@temporalio/worker';
import type { Metrics } from '../server/metrics';
import type { NightshiftSinks } from '../workflows/sinks';

export function metricsSinks(m: Metrics): InjectedSinks<NightshiftSinks> {
  return {
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
