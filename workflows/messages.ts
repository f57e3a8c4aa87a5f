// The messages of the playbook-run workflow (Updates, Signals, the state Query), shared by the
// workflow, the server and the CLI. Their payload types are core/messages.ts.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Detection } from '../core/detection';
import type { Ack, AckInput, AttachResult, DecideInput, Decision, RunState } from '../core/messages';

/**
 * Decide a pending approval. The validator refuses (leaving nothing in history) an unknown or
 * already-decided approval and a person who is not an allowed approver. Returns the decision in force.
 */
export const decideUpdate = defineUpdate<Decision, [DecideInput]>('decide');

/** Acknowledge a pending page. Same validation rules as `decide`. */
export const ackUpdate = defineUpdate<Ack, [AckInput]>('ack');

/**
 * A further detection of the same group key joins the running run (its devices are added). Answers
 * whether the detection was new to the run (`attached`) or already part of it (`duplicate`): the run's
 * own record is the only one that is right under racing re-deliveries and right after a restart. The
 * validator refuses once the run has finished its steps (a detection must then start a new run).
 */
export const attachUpdate = defineUpdate<AttachResult, [Detection]>('attach');

/** The signal of runs started before `attach` (kept so their histories replay, and for old workers). */
export const attachDetectionSignal = defineSignal<[Detection]>('attachDetection');

/** The run's live state: current step, pending approvals and pages, step results, effects so far. */
export const stateQuery = defineQuery<RunState>('state');
