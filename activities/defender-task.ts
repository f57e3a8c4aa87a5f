// One Defender API call per activity task: work that needs several calls records its progress in heartbeat
// details and continues in the next task with a BENIGN DefenderContinue failure, so a retry never repeats
// a call whose answer it had. These helpers are that mechanism for every Defender activity.
//
// Attempts are counted without those that made no call because the quota had no room (QUOTA_SKIPS, kept
// in the heartbeat details): the activities' reasoning "the attempt right after the one that looked up"
// then still holds when a quota wait came in between.
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

/** Heartbeat-details field: attempts of this activity that ended, before any call, in a quota wait. */
export const QUOTA_SKIPS = 'quotaSkips';

function quotaSkips(details: unknown): number {
  const n = details && typeof details === 'object' ? (details as Record<string, unknown>)[QUOTA_SKIPS] : 0;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 0;
}

/** This attempt's number, not counting the attempts that made no call for the quota. */
export function attemptNumber(): number {
  try {
    const info = activityInfo();
    return info.attempt - quotaSkips(info.heartbeatDetails);
  } catch {
    return 1;
  }
}

/** Recorded when an attempt ends in a quota wait before making any call: the previous facts still hold. */
export function recordQuotaSkip(): void {
  try {
    const prev = activityInfo().heartbeatDetails as unknown;
    const base = prev && typeof prev === 'object' ? prev : {};
    heartbeat({ ...base, [QUOTA_SKIPS]: quotaSkips(prev) + 1 });
  } catch {
    // Outside an activity context: nothing to record.
  }
}

export function recordProgress(details: object): void {
  try {
    const skips = quotaSkips(activityInfo().heartbeatDetails);
    heartbeat(skips > 0 ? { ...details, [QUOTA_SKIPS]: skips } : details);
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
