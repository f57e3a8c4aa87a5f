// Typed Defender for Endpoint API client: bearer token per resource, JSON in/out, the documented error
// body turned into DefenderApiError. No retries of its own: retry timing (429 Retry-After, 5xx backoff,
// a token rejected with 401) belongs to Temporal's activity retries. Every call first takes a slot of the
// process's share of the quota (CallPermits, quota.ts); each activity task makes at most one (CallBudget).
import { FormData, type Agent, type Dispatcher } from 'undici';
import type { DefenderAlert } from './alert-schema';
import { MsalTokenSource, type TokenSource } from './auth';
import type { DefenderLiveConfig } from './config';
import type { CallPermits } from './caller';
import {
  DEFAULT_THROTTLE_DELAY_MS,
  DefenderApiError,
  DefenderTokenRejected,
  apiErrorFromResponse,
} from './errors';
import { createAgent, send } from './http';

/**
 * One activity task's API call: at most one. Work that needs several calls continues in the next task
 * (activities/defender-task.ts), so that a task's retry never repeats a call whose answer it had.
 */
export class CallBudget {
  private spent = false;
  /** The call was sent (it may have reached Defender even if no answer came back). */
  get sent(): boolean {
    return this.spent;
  }

  spend(what: string): void {
    // A second call in one task would break the idempotency reasoning of the activities: a bug, never a retry.
    if (this.spent) throw new Error(`Defender: a second API call in one activity task (${what})`);
    this.spent = true;
  }
}

export interface MachineAction {
  id: string;
  type: string;
  scope?: string | null;
  status: string;
  machineId: string;
  computerDnsName?: string | null;
  requestor?: string | null;
  requestorComment?: string | null;
  creationDateTimeUtc: string;
  lastUpdateDateTimeUtc?: string | null;
  /** Some docs and clients use this name; the live service sends lastUpdateDateTimeUtc (reference §5.1). */
  lastUpdateTimeUtc?: string | null;
  relatedFileInfo?: { fileIdentifier: string; fileIdentifierType: string } | null;
}

// The alert shape is one zod schema (alert-schema.ts); its types are derived from it.
export type { AlertEvidence, DefenderAlert } from './alert-schema';

export interface Indicator {
  id: string | number;
  indicatorValue: string;
  indicatorType: string;
  action: string;
  [k: string]: unknown;
}

/** The three resources, each with its own host and token: MDE, Defender XDR (incidents), Microsoft Graph (hunting). */
export type Api = 'mde' | 'xdr' | 'graph';

/** Largest live response result read from its blob (a RunScript transcript; GetFile is not used). */
export const MAX_DOWNLOAD_BYTES = 4 * 1024 * 1024;

/** OData query values are URL-encoded individually; `$` stays literal as in the documented examples. */
export function odataQuery(query: Record<string, string | number | undefined>): string {
  const parts = Object.entries(query)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** An OData string literal: single quotes, embedded quotes doubled. */
export function odataString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export class DefenderClient {
  readonly tokens: TokenSource;
  private readonly dispatcher: Dispatcher;
  private readonly ownAgent?: Agent;
  /** API calls sent (not counting token requests). */
  apiCalls = 0;
  /** Scopes whose cached token Defender refused (401): the next call asks the login host for a new one. */
  private readonly staleScopes = new Set<string>();
  /** The process's share of the quota; without it (CLI checks, unit tests) calls are not limited. */
  private permits?: CallPermits;

  constructor(
    readonly cfg: DefenderLiveConfig,
    deps: { tokens?: TokenSource; dispatcher?: Dispatcher; permits?: CallPermits } = {},
  ) {
    if (deps.dispatcher) this.dispatcher = deps.dispatcher;
    else this.dispatcher = this.ownAgent = createAgent(cfg);
    this.tokens = deps.tokens ?? new MsalTokenSource(cfg, this.dispatcher);
    this.permits = deps.permits;
  }

  /** The worker gives a client created before it (the login check at start) its share of the quota. */
  usePermits(permits: CallPermits): void {
    this.permits = permits;
  }

  async close(): Promise<void> {
    await this.ownAgent?.close();
  }

  async call<T>(
    method: Dispatcher.HttpMethod,
    path: string,
    opts: {
      query?: Record<string, string | number | undefined>;
      body?: unknown;
      api?: Api;
      budget?: CallBudget;
    } = {},
  ): Promise<T> {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    return this.request<T>(method, path, { ...opts, body });
  }

  /**
   * A multipart/form-data POST (the live response library, reference §15.5): the file part carries its
   * file name, which is the name the library gives the file.
   */
  upload<T>(
    path: string,
    form: { file: { name: string; content: Buffer; type?: string }; fields: Record<string, string> },
    budget?: CallBudget,
  ): Promise<T> {
    const fd = new FormData();
    fd.set(
      'file',
      new Blob([form.file.content], { type: form.file.type ?? 'application/octet-stream' }),
      form.file.name,
    );
    for (const [k, v] of Object.entries(form.fields)) fd.set(k, v);
    return this.request<T>('POST', path, { body: fd, budget });
  }

  /**
   * GETs a short-lived result link (a SAS URL, reference §15.4) — not an API call: no bearer token is
   * sent (the signature in the URL is the credential) and no quota is taken. Only https links on Azure
   * storage or the API host itself are followed.
   */
  async download(link: string, maxBytes = MAX_DOWNLOAD_BYTES): Promise<string> {
    let u: URL;
    try {
      u = new URL(link);
    } catch {
      throw apiErrorFromResponse(
        502,
        '{"error":{"code":"BadLink","message":"result link is not a URL"}}',
        {},
        'GET',
        '(result link)',
      );
    }
    const api = new URL(this.cfg.apiUrl).host;
    const storage =
      /\.core\.(windows\.net|usgovcloudapi\.net)$/i.test(u.hostname) || u.hostname === 'core.windows.net';
    if (u.protocol !== 'https:' || (!storage && u.host !== api)) {
      throw apiErrorFromResponse(
        502,
        `{"error":{"code":"BadLink","message":"result link host ${u.host} is not Azure storage"}}`,
        {},
        'GET',
        '(result link)',
      );
    }
    const res = await send(
      this.dispatcher,
      link,
      { method: 'GET', headers: { 'user-agent': this.cfg.userAgent } },
      maxBytes,
    );
    if (res.status < 200 || res.status >= 300) {
      throw apiErrorFromResponse(
        res.status,
        res.text,
        res.headers,
        'GET',
        `(result link ${u.pathname.slice(0, 80)})`,
      );
    }
    return res.text;
  }

  private async request<T>(
    method: Dispatcher.HttpMethod,
    path: string,
    opts: {
      query?: Record<string, string | number | undefined>;
      body?: string | FormData;
      api?: Api;
      budget?: CallBudget;
    },
  ): Promise<T> {
    const api = opts.api ?? 'mde';
    const base = api === 'mde' ? this.cfg.apiUrl : api === 'xdr' ? this.cfg.xdrApiUrl : this.cfg.graphUrl;
    const scope = api === 'mde' ? this.cfg.scope : api === 'xdr' ? this.cfg.xdrScope : this.cfg.graphScope;
    const url = `${base}${path}${odataQuery(opts.query ?? {})}`;
    const body = opts.body;
    const { accessToken, fromCache } = await this.tokens.acquire(scope, {
      forceRefresh: this.staleScopes.has(scope),
    });
    if (!fromCache) this.staleScopes.delete(scope);
    const headers: Record<string, string> = {
      authorization: `Bearer ${accessToken}`,
      accept: 'application/json',
      'user-agent': this.cfg.userAgent,
    };
    // FormData sets its own multipart content type (with the boundary). Graph asks for the charset when
    // a query holds non-ANSI characters (reference §15.7).
    if (typeof body === 'string')
      headers['content-type'] = api === 'graph' ? 'application/json; charset=utf-8' : 'application/json';
    opts.budget?.spend(`${method} ${path}`);
    // Last before sending, the token already in hand: the slot is when the call leaves.
    await this.permits?.take(`${method} ${path}`);
    this.apiCalls += 1;
    const res = await send(this.dispatcher, url, { method, headers, body });
    if (res.status === 401 && fromCache) {
      // The cached token may have been revoked or expired early: the next attempt gets a fresh one. A
      // fresh token refused too is a real 401 (DefenderUnauthorized, below).
      this.staleScopes.add(scope);
      throw new DefenderTokenRejected(method, path);
    }
    if (res.status < 200 || res.status >= 300) {
      const err = apiErrorFromResponse(res.status, res.text, res.headers, method, path);
      if (err instanceof DefenderApiError && err.status === 429)
        this.permits?.throttled(err.retryAfterMs ?? DEFAULT_THROTTLE_DELAY_MS);
      throw err;
    }
    if (res.text.trim() === '') return undefined as T;
    try {
      return JSON.parse(res.text) as T;
    } catch {
      throw apiErrorFromResponse(
        502,
        `{"error":{"code":"InvalidJson","message":"response is not JSON"}}`,
        {},
        method,
        path,
      );
    }
  }

  getMachineAction(actionId: string, budget?: CallBudget): Promise<MachineAction> {
    return this.call<MachineAction>('GET', `/api/machineactions/${encodeURIComponent(actionId)}`, {
      budget,
    });
  }

  async listMachineActions(filter: string, top: number, budget?: CallBudget): Promise<MachineAction[]> {
    const res = await this.call<{ value?: MachineAction[] }>('GET', '/api/machineactions', {
      query: { $filter: filter, $top: top },
      budget,
    });
    return Array.isArray(res?.value) ? res.value : [];
  }

  postMachineAction(
    machineId: string,
    pathSegment: string,
    body: Record<string, string>,
    budget?: CallBudget,
  ): Promise<MachineAction> {
    return this.call<MachineAction>('POST', `/api/machines/${encodeURIComponent(machineId)}/${pathSegment}`, {
      body,
      budget,
    });
  }

  /** One page of alerts; the API sends no reliable nextLink, so callers page with $skip (reference §3.3). */
  async listAlerts(
    q: {
      filter?: string;
      top: number;
      skip: number;
      expandEvidence: boolean;
    },
    budget?: CallBudget,
  ): Promise<DefenderAlert[]> {
    const res = await this.call<{ value?: DefenderAlert[] }>('GET', '/api/alerts', {
      query: {
        $filter: q.filter,
        $top: q.top,
        $skip: q.skip > 0 ? q.skip : undefined,
        $expand: q.expandEvidence ? 'evidence' : undefined,
      },
      budget,
    });
    return Array.isArray(res?.value) ? res.value : [];
  }

  getAlert(alertId: string, budget?: CallBudget): Promise<DefenderAlert> {
    return this.call<DefenderAlert>('GET', `/api/alerts/${encodeURIComponent(alertId)}`, { budget });
  }

  patchAlert(alertId: string, body: Record<string, string>, budget?: CallBudget): Promise<DefenderAlert> {
    return this.call<DefenderAlert>('PATCH', `/api/alerts/${encodeURIComponent(alertId)}`, {
      body,
      budget,
    });
  }

  submitIndicator(body: Record<string, unknown>, budget?: CallBudget): Promise<Indicator> {
    return this.call<Indicator>('POST', '/api/indicators', { body, budget });
  }
}
