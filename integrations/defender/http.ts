// One keep-alive undici Agent per client for the API and the login host, with connect/headers/body
// timeouts and an optional extra CA. msal's HTTP goes through the same Agent (login.ts, a custom
// INetworkModule), so the CA, timeouts and keep-alive apply to token requests too, and tests need no
// global TLS switch.
import tls from 'node:tls';
import { Agent, request, type Dispatcher, type FormData } from 'undici';
import { DefenderNetworkError } from './errors';

export interface HttpOptions {
  caPem?: string;
  timeouts: { connectMs: number; headersMs: number; bodyMs: number };
}

export function createAgent(opts: HttpOptions): Agent {
  return new Agent({
    // At least one per Defender activity slot (20) and the status read: a call that waited for its quota
    // slot must not then wait for a connection (quota.ts counts it from its slot).
    connections: 24,
    keepAliveTimeout: 30_000,
    connectTimeout: opts.timeouts.connectMs,
    headersTimeout: opts.timeouts.headersMs,
    bodyTimeout: opts.timeouts.bodyMs,
    // Extra CA is added to, not substituted for, the system roots.
    connect: opts.caPem ? { ca: [...tls.rootCertificates, opts.caPem] } : undefined,
  });
}

/** Largest response body read (an alerts page of $top=500 with evidence stays well below). */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export async function readBody(
  body: Dispatcher.ResponseData['body'],
  limit = MAX_BODY_BYTES,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new DefenderNetworkError(`response body larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function networkMessage(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const msg = e.cause?.message ?? e.message ?? String(err);
  return code ? `${code}: ${msg}` : msg;
}

export async function send(
  dispatcher: Dispatcher,
  url: string,
  init: { method: Dispatcher.HttpMethod; headers: Record<string, string>; body?: string | FormData },
  limit = MAX_BODY_BYTES,
): Promise<HttpResponse> {
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, { dispatcher, method: init.method, headers: init.headers, body: init.body });
  } catch (err) {
    throw new DefenderNetworkError(networkMessage(err));
  }
  let text: string;
  try {
    text = await readBody(res.body, limit);
  } catch (err) {
    if (err instanceof DefenderNetworkError) throw err;
    throw new DefenderNetworkError(networkMessage(err));
  }
  return { status: res.statusCode, headers: res.headers, text };
}
