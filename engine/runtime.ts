// The small runtime the interpreter runs on (design principle 1: one interpreter, two clocks).
// workflows/playbook-run.ts binds it to Temporal (workflow time, timers, activities); simulator/simulate.ts
// binds it to a virtual clock that records effects. Nothing about playbook semantics lives there.
import type {
  ApprovalAskRequest,
  ApprovalResolvedRequest,
  Decision,
  DefenderPollRequest,
  DefenderSubmitRequest,
  DefenderSubmitResult,
  MachineActionStatus,
  NotifyRequest,
  PageRequest,
  PostedMessage,
  ReserveIsolationRequest,
  WebhookRequest,
  WebhookResult,
} from '../core/effects';
import type { OrgIR } from '../core/ir';
import type { Evaluator } from './expr/runtime';
import type { DefenderDepthActivities } from '../core/defender-effects';

/** What the engine asks of the world; the Defender depth calls (issue 15) are core's activity interface. */
export interface Effects extends DefenderDepthActivities {
  notify(req: NotifyRequest): Promise<PostedMessage>;
  askApproval(req: ApprovalAskRequest): Promise<PostedMessage>;
  approvalResolved(req: ApprovalResolvedRequest): Promise<void>;
  page(req: PageRequest): Promise<PostedMessage>;
  webhook(req: WebhookRequest): Promise<WebhookResult>;
  defenderSubmit(req: DefenderSubmitRequest): Promise<DefenderSubmitResult>;
  /**
   * Waits until the machine action reaches a final state, at most `timeoutMs`.
   * Resolves with the final status, or 'timed_out'.
   */
  defenderAwait(req: DefenderPollRequest, timeoutMs: number): Promise<MachineActionStatus | 'timed_out'>;
  /** Deployment-wide blast-radius limit: true when this automatic isolation may proceed. */
  reserveIsolation(req: ReserveIsolationRequest): Promise<boolean>;
  /** Gives back a reservation whose isolation did not happen. */
  releaseIsolation(req: { key: string }): Promise<void>;
}

export interface Runtime {
  /** The run's current time: workflow time, or the virtual clock. */
  now(): Date;
  /** Resolves when `ready()` holds (true) or after `timeoutMs` (false); without a timeout, only the former. */
  waitFor(ready: () => boolean, timeoutMs: number | undefined): Promise<boolean>;
  sleep(ms: number): Promise<void>;
  /** Deterministic randomness in [0, 1): the workflow's (seeded by Temporal), or a seeded generator. */
  random(): number;
  /** Id of the run, used to derive idempotency keys and interaction ids. */
  workflowId: string;
  /**
   * Whether the run takes behaviour `id`, introduced after runs may have started: Temporal's patched()
   * (false while replaying a history recorded before it), always true in a simulation.
   */
  patched(id: string): boolean;
  effects: Effects;
  /**
   * The evaluator of `org`'s expressions. A worker shares one per org content hash across its runs
   * (its CEL environment and compiled programs, ≈ 50 KiB a run otherwise); absent, each run builds its own.
   */
  evaluatorFor?(org: OrgIR): Evaluator;
  /** Called whenever the live state changes (the workflow upserts search attributes). */
  onStateChange?(): void;
  /** Called once per decided approval (metrics: channel, time to decision). */
  onApprovalDecided?(decision: Decision, askedAt: Date): void;
  /** Called when the blast-radius limit refuses an automatic isolation (an operator's log line). */
  onBlastRadiusRefused?(refusal: { stepId: string; deviceId: string; limit: number; windowMs: number }): void;
}
