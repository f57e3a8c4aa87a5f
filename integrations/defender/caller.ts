// What the Defender API functions of this folder need from the client (activities/defender/client.ts
// DefenderClient satisfies it): a JSON call to one of the three resources, a multipart upload, and the
// download of a result link. Every call takes the task's CallBudget (one API call per activity task) and a
// permit of the deployment's quota (CallPermits).

export type ApiName = 'mde' | 'xdr' | 'graph';

export interface Budget {
  spend(what: string): void;
}

/** The process's share of the Defender quota (quota.ts): resolves when one call may leave now, else throws. */
export interface CallPermits {
  take(what: string): Promise<void>;
  /** Defender answered 429: hold every call until `retryAfterMs` from now. */
  throttled(retryAfterMs: number): void;
}

export interface DefenderCaller {
  call<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    opts?: {
      query?: Record<string, string | number | undefined>;
      body?: unknown;
      api?: ApiName;
      budget?: Budget;
    },
  ): Promise<T>;
  upload<T>(
    path: string,
    form: { file: { name: string; content: Buffer; type?: string }; fields: Record<string, string> },
    budget?: Budget,
  ): Promise<T>;
  download(link: string): Promise<string>;
}
