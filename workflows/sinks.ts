// Sinks: how workflow code reports metrics and log lines without side effects. Called outside replay
// only, so a replayed run never counts or logs twice.
import type { Sinks } from '@temporalio/workflow';

export interface NightshiftSinks extends Sinks {
  metrics: {
    runFinished(playbook: string, outcome: string): void;
    approvalDecided(playbook: string, channel: string, outcome: string, seconds: number): void;
  };
  effects: {
    /** The blast-radius limit refused an automatic isolation. */
    blastRadiusRefused(refusal: {
      workflowId: string;
      playbook: string;
      stepId: string;
      deviceId: string;
      limit: number;
      windowMs: number;
    }): void;
  };
}
