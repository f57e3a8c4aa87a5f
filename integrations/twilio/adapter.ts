// Twilio SMS and voice (twilio-node 6, reference/channels.md §2). The SDK has no base-URL option; for
// tests `apiBase` installs a RequestClient that rewrites the origin to the fake, keeping the path.
import twilio from 'twilio';
import type IRequestClient from 'twilio/lib/base/RequestClient';
import { ApplicationFailure } from '@temporalio/common';
import { smsText } from '../escape';

export interface TwilioAdapterOptions {
  accountSid: string;
  authToken?: string;
  apiKey?: string;
  apiSecret?: string;
  from: string;
  /** Test fakes: `http://127.0.0.1:PORT`. */
  apiBase?: string;
  /** A custom twilio RequestClient-like object (`request(opts)`), e.g. for tests. */
  httpClient?: unknown;
}

type TwilioClient = ReturnType<typeof twilio>;

/** Twilio's own limit on inline TwiML. */
export const MAX_TWIML = 4000;
/** Twilio's limit on a message body. */
export const MAX_SMS = 1600;

class RebasingRequestClient extends twilio.RequestClient {
  constructor(private readonly base: string) {
    super({ autoRetry: true, maxRetries: 3, maxRetryDelay: 1000 });
  }
  override request<T>(opts: IRequestClient.RequestOptions<T>) {
    const u = new URL(opts.uri);
    return super.request<T>({ ...opts, uri: this.base.replace(/\/+$/, '') + u.pathname + u.search });
  }
}

export class TwilioAdapter {
  private readonly client: TwilioClient;

  constructor(readonly opts: TwilioAdapterOptions) {
    const httpClient = (opts.httpClient ??
      (opts.apiBase ? new RebasingRequestClient(opts.apiBase) : undefined)) as
      twilio.RequestClient | undefined;
    const common = { autoRetry: true, maxRetries: 3, ...(httpClient ? { httpClient } : {}) };
    this.client = opts.apiKey
      ? twilio(opts.apiKey, opts.apiSecret, { ...common, accountSid: opts.accountSid })
      : twilio(opts.accountSid, opts.authToken, common);
  }

  async sms(to: string, body: string): Promise<string> {
    try {
      const msg = await this.client.messages.create({
        to,
        from: this.opts.from,
        // Plain text on one line, whatever the message carries (integrations/escape.ts).
        body: smsText(body).slice(0, MAX_SMS),
      });
      return msg.sid;
    } catch (err) {
      throw classify(err, `SMS to ${to}`);
    }
  }

  async call(to: string, twiml: string): Promise<string> {
    if (twiml.length > MAX_TWIML)
      throw ApplicationFailure.nonRetryable(`call TwiML over ${MAX_TWIML} chars`, 'TwilioTwiml');
    try {
      const call = await this.client.calls.create({ to, from: this.opts.from, twiml, timeout: 30 });
      return call.sid;
    } catch (err) {
      throw classify(err, `call to ${to}`);
    }
  }
}

/** 4xx other than 429 (bad number, unsubscribed, auth) will not get better by retrying. */
function classify(err: unknown, what: string): Error {
  const e = err as { status?: number; code?: number; message?: string };
  const msg = `${what} failed: ${e.status ?? ''} ${e.code ?? ''} ${e.message ?? String(err)}`.replace(
    /\s+/g,
    ' ',
  );
  if (e.status !== undefined && e.status >= 400 && e.status < 500 && e.status !== 429) {
    return ApplicationFailure.nonRetryable(msg, 'TwilioRejected');
  }
  return new Error(msg);
}
