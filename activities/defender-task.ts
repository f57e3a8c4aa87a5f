// One Defender API call per activity task (integrations/defender/quota.ts explains why): work that needs
// several calls records its progress in heartbeat details and continues in the next task with a BENIGN
// DefenderContinue failure, so each call goes back through the rate-limited queue. These helpers are
// that mechanism for the activities of machine lookup, live response and incidents.
import { activityInfo, heartbeat } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { DefenderFailure } from '../core/failures';
import { DefenderApiError } from '../integrations/defender/errors';

/** The progress the previous attempt recorded (nothing outside an activity, in unit tests). */
export function previousProgress<T extends object>(): Partial<T> {
  try {
    const d = activityInfo().heartbeatDetails as Partial<T> | undefined;
    return d && typeof d === 'object' ? d : {};
  } catch {
    return {};
  }
}

export function attemptNumber(): number {
  try {
    return activityInfo().attempt;
  } catch {
    return 1;
  }
}

export function recordProgress(details: object): void {
  try {
    heartbeat(details);
  } catch {
    // Outside an activity context (direct calls in unit tests): nothing to record.
  }
}

/** The next step of the same activity, in a new task: recorded progress, then a retry without delay. */
export function continueWith(details: object, what: string): ApplicationFailure {
  recordProgress(details);
  return ApplicationFailure.create({
    message: `Defender: ${what}; continuing in the next task`,
    type: DefenderFailure.Continue,
    nextRetryDelay: 10,
    category: ApplicationFailureCategory.BENIGN,
  });
}

/** A wait for something outside our control (another live response session on the device). */
export function busy(what: string, delayMs: number, details: object): ApplicationFailure {
  recordProgress(details);
  return ApplicationFailure.create({
    message: `Defender: ${what}; trying again in ${Math.round(delayMs / 1000)} s`,
    type: DefenderFailure.Busy,
    nextRetryDelay: delayMs,
    category: ApplicationFailureCategory.BENIGN,
  });
}

export function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`Defender: ${message}`, DefenderFailure.InvalidRequest);
}

export function isStatus(err: unknown, ...status: number[]): err is DefenderApiError {
  return err instanceof DefenderApiError && status.includes(err.status);
}
