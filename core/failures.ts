// Failure types and reason codes, written once: the activities throw ApplicationFailures of these
// types, the workflows' retry policies name which are final (workflows/activity-options.ts), and step
// results carry the reason codes playbooks and people read (`steps.<id>.reason`).

/** ApplicationFailure types of the Defender activities (integrations/defender/errors.ts). */
export const DefenderFailure = {
  BadRequest: 'DefenderBadRequest',
  Unauthorized: 'DefenderUnauthorized',
  Forbidden: 'DefenderForbidden',
  NotFound: 'DefenderNotFound',
  ClientError: 'DefenderClientError',
  AuthFailed: 'DefenderAuthFailed',
  AuthUnavailable: 'DefenderAuthUnavailable',
  InvalidRequest: 'DefenderInvalidRequest',
  InvalidRule: 'DefenderInvalidRule',
  Throttled: 'DefenderThrottled',
  ServerError: 'DefenderServerError',
  NetworkError: 'DefenderNetworkError',
  Error: 'DefenderError',
  /** Retryable, while a machine action is Pending/InProgress: defenderPoll asks to be polled again. */
  ActionPending: 'ActionPending',
  /**
   * BENIGN: a Defender activity does its next API call in a new task (one call per task keeps its
   * retries from repeating a call); its state travels in heartbeat details.
   */
  Continue: 'DefenderContinue',
  /** BENIGN: another live response session holds the device; tried again after a delay. */
  Busy: 'DefenderBusy',
  /** BENIGN: the deployment's quota has no room for a while; tried again when it will (no call made). */
  QuotaWait: 'DefenderQuotaWait',
} as const;

/** Failure types that must not be retried (4xx, rejected credentials, invalid step parameters). */
export const DEFENDER_NON_RETRYABLE_TYPES: string[] = [
  DefenderFailure.BadRequest,
  DefenderFailure.Unauthorized,
  DefenderFailure.Forbidden,
  DefenderFailure.NotFound,
  DefenderFailure.ClientError,
  DefenderFailure.AuthFailed,
  DefenderFailure.InvalidRequest,
];

/** ApplicationFailure types of the channel activities. */
export const ChannelFailure = {
  /** A person has no address for the way they are to be reached. */
  NoAddress: 'NoAddress',
  /** A Teams channel's webhook variable is unset while Teams is configured. */
  TeamsConfig: 'TeamsConfig',
} as const;

/** ApplicationFailure types of the playbook-run workflow's Update validators. */
export const RunFailure = {
  /** An approval or acknowledgement the run refuses (unknown, already answered, not allowed). */
  InteractionRefused: 'InteractionRefused',
  /** A detection sent to a run that has finished its steps. */
  RunFinished: 'RunFinished',
} as const;

/** Why a step failed without an error of its own (`steps.<id>.reason`). */
export const StepFailureReason = {
  /** policy.protected_devices holds and no person approved containment in this run. */
  Protected: 'protected',
  /** The deployment-wide limit of automatic isolations refused this one. */
  BlastRadius: 'blast_radius',
} as const;

/**
 * The message of the innermost cause: Temporal wraps failures (ActivityFailure → ApplicationFailure,
 * WorkflowUpdateFailedError → the validator's failure); the cause says what happened.
 */
export function rootCause(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e && e.cause && typeof e.cause === 'object') e = e.cause as typeof e;
  return String(e?.message ?? err);
}
