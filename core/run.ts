// A playbook run's input and outcome: what intake starts a run with (the IR and the org pinned in it)
// and what the interpreter returns; step results as playbooks read them (`steps.<id>.…`, spec §3).
import type { Detection } from './detection';
import type { RunEffect } from './messages';
import type { OrgIR, PlaybookIR } from './ir';

export interface RunInput {
  ir: PlaybookIR;
  org: OrgIR;
  detection: Detection;
  /** The group key the run was started for (spec §3 `group_by`). */
  groupKey: string;
}

export type StepStatus = 'succeeded' | 'failed' | 'skipped' | 'timed_out';

/** A step's result as playbooks read it (`steps.<id>.…`, spec §3) plus timing for reports. */
export interface StepResult {
  id: string;
  status: StepStatus;
  reason?: string;
  started_at?: string;
  finished_at?: string;
  [field: string]: unknown;
}

export interface RunOutcome {
  outcome: 'completed' | 'failed';
  steps: StepResult[];
  effects: RunEffect[];
  detectionIds: string[];
  deviceIds: string[];
}

/** Defender steps wait this long for their machine action when the playbook sets no `timeout`. */
export const DEFAULT_DEFENDER_TIMEOUT_MS = 10 * 60_000;
