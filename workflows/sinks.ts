// Sinks: how workflow code reports metrics without side effects. Called outside replay only, so a
// replayed run never counts twice.
import type { Sinks } from '@temporalio/workflow';

export interface NightshiftSinks extends Sinks {
  metrics: {
    runFinished(playbook: string, outcome: string): void;
    approvalDecided(playbook: string, channel: string, outcome: string, seconds: number): void;
  };
}
