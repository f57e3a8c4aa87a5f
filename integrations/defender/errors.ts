// Defender API errors and how they become Temporal failures (reference §3.1/§3.2, temporal.md §3.6):
// 4xx fail at once with the API's own message; 429 waits for Retry-After; 5xx/network retry with backoff.
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';

/** A non-2xx answer of the Defender API, with its documented error body fields. */
export class DefenderApiError extends Error {
  override name = 'DefenderApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly apiMessage: string,
    readonly target: string | undefined,
    /** From Retry-After (429/503), in ms. */
    readonly retryAfterMs: number | undefined,
    readonly method: string,
    readonly path: string,
  ) {
    super(`${method} ${path}: ${status} ${code}: ${apiMessage}`);
  }

  get isDuplicateAction(): boolean {
    // reference §5.3: "ActiveRequestAlreadyExists" (observed) or "Action is already in progress" (docs).
    return (
      this.status === 400 &&
      (this.code === 'ActiveRequestAlreadyExists' || /already (in progress|running)/i.test(this.apiMessage))
    );
  }
}

/** A network-level failure (refused, reset, timeout) before any HTTP answer. */
export class DefenderNetworkError extends Error {
  override name = 'DefenderNetworkError';
}

/** msal could not get a token; `retryable` for network trouble, not for a rejected credential. */
export class DefenderAuthError extends Error {
  override name = 'DefenderAuthError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** Defender refused a token from msal's cache (401): the next attempt asks the login host for a new one. */
export class DefenderTokenRejected extends Error {
  override name = 'DefenderTokenRejected';
  constructor(method: string, path: string) {
    super(`${method} ${path}: 401 with a cached token; a fresh one is requested for the retry`);
  }
}

const MAX_MESSAGE = 500;
function clip(s: string): string {
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s;
}

/** Parses Retry-After: delta seconds (what Defender sends) or an HTTP date. */
export function parseRetryAfter(
  value: string | string[] | undefined,
  nowMs = Date.now(),
): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d{1,7}$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Builds the error from a response body; tolerant of non-JSON and odd shapes. */
export function apiErrorFromResponse(
  status: number,
  bodyText: string,
  headers: Record<string, string | string[] | undefined>,
  method: string,
  path: string,
): DefenderApiError {
  let code = status === 429 ? 'TooManyRequests' : `Http${status}`;
  let message = '';
  let target: string | undefined;
  try {
    const parsed = JSON.parse(bodyText) as {
      error?: { code?: unknown; message?: unknown; target?: unknown };
    };
    if (parsed?.error && typeof parsed.error === 'object') {
      if (typeof parsed.error.code === 'string') code = parsed.error.code;
      if (typeof parsed.error.message === 'string') message = parsed.error.message;
      if (typeof parsed.error.target === 'string') target = parsed.error.target;
    }
  } catch {
    message = bodyText.replace(/\s+/g, ' ').trim();
  }
  return new DefenderApiError(
    status,
    clip(code),
    clip(message || '(no message)'),
    target,
    parseRetryAfter(headers['retry-after']),
    method,
    path,
  );
}

/** Default wait for a 429 without Retry-After: the per-minute quota window (reference §3.2). */
export const DEFAULT_THROTTLE_DELAY_MS = 60_000;
/** A Retry-After beyond this is treated as this (the activity's schedule-to-close still bounds the total). */
export const MAX_THROTTLE_DELAY_MS = 3_600_000;

/**
 * Maps any error of a Defender call to an ApplicationFailure.
 * `subject` names what was acted on ("machine 1e5b…", "alert da63…"), for messages such as
 * `Defender: machine 1e5b… not found (404 ResourceNotFound: Machine 1e5b… was not found)`.
 */
export function toDefenderFailure(err: unknown, subject: string, action: string): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof DefenderApiError) {
    const detail = `${err.status} ${err.code}: ${err.apiMessage}`;
    const details = [{ status: err.status, code: err.code, target: err.target }];
    switch (true) {
      case err.status === 404:
        return ApplicationFailure.nonRetryable(
          `Defender: ${subject} not found (${detail})`,
          'DefenderNotFound',
          ...details,
        );
      case err.status === 400:
        return ApplicationFailure.nonRetryable(
          `Defender: ${action} on ${subject} rejected (${detail})`,
          'DefenderBadRequest',
          ...details,
        );
      case err.status === 401:
        return ApplicationFailure.nonRetryable(
          `Defender: ${action} on ${subject} unauthorized even with a fresh token (${detail})`,
          'DefenderUnauthorized',
          ...details,
        );
      case err.status === 403:
        return ApplicationFailure.nonRetryable(
          `Defender: ${action} on ${subject} forbidden — check the app's API permissions (${detail})`,
          'DefenderForbidden',
          ...details,
        );
      case err.status === 429:
        return ApplicationFailure.create({
          message: `Defender: throttled during ${action} on ${subject} (${detail}); retrying after ${
            (err.retryAfterMs ?? DEFAULT_THROTTLE_DELAY_MS) / 1000
          } s`,
          type: 'DefenderThrottled',
          nextRetryDelay: Math.min(err.retryAfterMs ?? DEFAULT_THROTTLE_DELAY_MS, MAX_THROTTLE_DELAY_MS),
          // Throttling is expected under load: no failure metrics or error logs for it.
          category: ApplicationFailureCategory.BENIGN,
          details,
        });
      case err.status === 408 || err.status >= 500:
        return ApplicationFailure.create({
          message: `Defender: server error during ${action} on ${subject} (${detail})`,
          type: 'DefenderServerError',
          nextRetryDelay: err.retryAfterMs,
          details,
        });
      default:
        return ApplicationFailure.nonRetryable(
          `Defender: ${action} on ${subject} failed (${detail})`,
          'DefenderClientError',
          ...details,
        );
    }
  }
  if (err instanceof DefenderTokenRejected) {
    return ApplicationFailure.create({
      message: `Defender: ${action} on ${subject}: ${err.message}`,
      type: err.name,
      nextRetryDelay: 100,
      // A new attempt gets a new token; nothing failed.
      category: ApplicationFailureCategory.BENIGN,
    });
  }
  if (err instanceof DefenderAuthError) {
    return err.retryable
      ? ApplicationFailure.retryable(`Defender: ${err.message}`, 'DefenderAuthUnavailable')
      : ApplicationFailure.nonRetryable(`Defender: ${err.message}`, 'DefenderAuthFailed');
  }
  if (err instanceof DefenderNetworkError) {
    return ApplicationFailure.retryable(
      `Defender: network error during ${action} on ${subject}: ${err.message}`,
      'DefenderNetworkError',
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.retryable(
    `Defender: ${action} on ${subject} failed: ${clip(message)}`,
    'DefenderError',
  );
}
