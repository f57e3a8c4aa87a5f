// The login host (Entra ID's token and metadata endpoints) through msal-node's network hook. Every failed
// answer is classified here, from the HTTP exchange itself, and never handed to msal: msal would keep a
// 429/5xx (or any answer with Retry-After) in its throttling cache and, for the next 60 s or Retry-After,
// answer every token request itself — no network, an empty error code that reads as a rejected
// credential. msal rethrows an AuthError raised by the hook unchanged, so callers see this one.
import {
  AuthError,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import type { Dispatcher } from 'undici';
import { DefenderNetworkError } from './errors';
import { send } from './http';

/** Error values of the OAuth 2.0 / Entra answer that mean "try again" (RFC 6749 §4.1.2.1, §5.2). */
const TRANSIENT_ERRORS = new Set(['temporarily_unavailable', 'server_error']);
/** AADSTS codes Entra documents as transient: 90033 and 90041 "A transient error has occurred". */
const TRANSIENT_CODES = new Set([90033, 90041]);

/** A failed answer of the login host: `transient` (retry later) or its verdict on our request. */
export class LoginHostError extends AuthError {
  constructor(
    readonly transient: boolean,
    /** One line, e.g. `invalid_client: AADSTS7000215: Invalid client secret provided. …`. */
    readonly detail: string,
  ) {
    super(transient ? 'login_host_unavailable' : 'login_host_refused', '', detail);
    // msal's AuthError pins its own prototype; restore ours so `instanceof` works.
    Object.setPrototypeOf(this, LoginHostError.prototype);
    this.name = 'LoginHostError';
  }
}

interface OAuthErrorBody {
  error?: unknown;
  error_description?: unknown;
  error_codes?: unknown;
}

function parse(text: string): OAuthErrorBody | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? (v as OAuthErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The classified failure of one answer of the login host, or undefined when it is a usable answer
 * (2xx without an OAuth error). Exported for unit tests of the rules.
 */
export function loginFailure(status: number, text: string): LoginHostError | undefined {
  const body = parse(text);
  const error = typeof body?.error === 'string' ? body.error : undefined;
  if (status >= 200 && status < 300 && !error) return undefined;
  const description =
    typeof body?.error_description === 'string' ? body.error_description.split(/\r?\n/)[0].trim() : '';
  const codes = Array.isArray(body?.error_codes) ? body.error_codes.filter((c) => typeof c === 'number') : [];
  const detail = error
    ? `${error}: ${description || '(no description)'}`
    : `HTTP ${status}${text.trim() ? `: ${text.replace(/\s+/g, ' ').trim()}` : ' with an empty body'}`;
  const transient =
    status === 408 ||
    status === 429 ||
    status >= 500 ||
    (error !== undefined && TRANSIENT_ERRORS.has(error)) ||
    codes.some((c) => TRANSIENT_CODES.has(c as number));
  // Anything else is the login host refusing this request (bad secret, unknown app or tenant, a URL
  // that is not a login host): asking again cannot help.
  return new LoginHostError(transient, detail.slice(0, 400));
}

/** msal-node's network hook on undici, with failed answers turned into LoginHostError. */
export class LoginNetworkModule implements INetworkModule {
  /** The last failed metadata read: msal swallows those and reports only "could not resolve endpoints". */
  lastMetadataFailure: LoginHostError | undefined;

  constructor(private readonly dispatcher: Dispatcher) {}

  async sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    try {
      const res = await this.exchange<T>('GET', url, options);
      this.lastMetadataFailure = undefined;
      return res;
    } catch (err) {
      if (err instanceof LoginHostError) this.lastMetadataFailure = err;
      throw err;
    }
  }

  async sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.exchange<T>('POST', url, options);
  }

  private async exchange<T>(
    method: 'GET' | 'POST',
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> {
    let res;
    try {
      res = await send(this.dispatcher, url, {
        method,
        headers: options?.headers ?? {},
        body: options?.body,
      });
    } catch (err) {
      if (err instanceof DefenderNetworkError)
        throw new LoginHostError(true, `network error: ${err.message}`);
      throw err;
    }
    const failure = loginFailure(res.status, res.text);
    if (failure) throw failure;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    return { status: res.status, headers, body: (parse(res.text) ?? {}) as T };
  }
}
