// A Twilio REST fake (reference/channels.md §2.2, §2.6): Messages.json and Calls.json under
// /2010-04-01/Accounts/{AC…}/, Basic auth, form bodies, 201 + snake_case resource, 400 with Twilio's
// error body for bad numbers, 429 (code 20429) on demand. It also plays Twilio calling us: signed
// inbound SMS and <Gather> keypresses (X-Twilio-Signature, HMAC-SHA1 over URL + sorted params).
import { createHmac, randomBytes } from 'node:crypto';
import type http from 'node:http';
import { json, listen, readBody } from '../http';

export interface FakeTwilioMessage {
  sid: string;
  to: string;
  from: string;
  body: string;
}
export interface FakeTwilioCall {
  sid: string;
  to: string;
  from: string;
  twiml: string;
}

export interface FakeTwilio {
  url: string;
  messages: FakeTwilioMessage[];
  calls: FakeTwilioCall[];
  requests: number;
  rateLimitNext(n?: number): void;
  close(): Promise<void>;
}

const sid = (prefix: string) => prefix + randomBytes(16).toString('hex');

export async function startFakeTwilio(opts: { accountSid: string; authToken: string }): Promise<FakeTwilio> {
  const messages: FakeTwilioMessage[] = [];
  const calls: FakeTwilioCall[] = [];
  let limited = 0;
  const state = { requests: 0 };
  const expectedAuth = 'Basic ' + Buffer.from(`${opts.accountSid}:${opts.authToken}`).toString('base64');

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    state.requests += 1;
    const m = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]+)\/(Messages|Calls)\.json$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !m)
      return json(res, 404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    if (req.headers.authorization !== expectedAuth || m[1] !== opts.accountSid) {
      return json(res, 401, {
        code: 20003,
        message: 'Authentication Error - invalid username',
        more_info: 'https://www.twilio.com/docs/errors/20003',
        status: 401,
      });
    }
    if (limited > 0) {
      limited -= 1;
      return json(res, 429, {
        code: 20429,
        message: 'Too Many Requests',
        more_info: 'https://www.twilio.com/docs/errors/20429',
        status: 429,
      });
    }
    const p = new URLSearchParams(await readBody(req));
    const to = p.get('To') ?? '';
    const from = p.get('From') ?? '';
    if (!/^\+[1-9]\d{6,14}$/.test(to)) {
      return json(res, 400, {
        code: m[2] === 'Calls' ? 21217 : 21211,
        message: `The 'To' number ${to} is not a valid phone number.`,
        more_info: 'https://www.twilio.com/docs/errors/21211',
        status: 400,
      });
    }
    const now = new Date().toUTCString();
    if (m[2] === 'Messages') {
      const msg = { sid: sid('SM'), to, from, body: p.get('Body') ?? '' };
      messages.push(msg);
      return json(res, 201, {
        sid: msg.sid,
        account_sid: opts.accountSid,
        to,
        from,
        body: msg.body,
        status: 'queued',
        direction: 'outbound-api',
        num_segments: '1',
        num_media: '0',
        api_version: '2010-04-01',
        date_created: now,
        date_updated: now,
        date_sent: null,
        error_code: null,
        error_message: null,
        price: null,
        price_unit: 'USD',
        messaging_service_sid: null,
        uri: `/2010-04-01/Accounts/${opts.accountSid}/Messages/${msg.sid}.json`,
        subresource_uris: {},
      });
    }
    const twiml = p.get('Twiml') ?? '';
    if (!twiml && !p.get('Url'))
      return json(res, 400, { code: 21205, message: 'Url parameter is required.', status: 400 });
    const call = { sid: sid('CA'), to, from, twiml };
    calls.push(call);
    return json(res, 201, {
      sid: call.sid,
      account_sid: opts.accountSid,
      to,
      from,
      status: 'queued',
      direction: 'outbound-api',
      api_version: '2010-04-01',
      date_created: now,
      date_updated: now,
      uri: `/2010-04-01/Accounts/${opts.accountSid}/Calls/${call.sid}.json`,
    });
  }

  const srv = await listen((req, res) => {
    handle(req, res).catch(() => json(res, 500, { code: 20500, message: 'fake error', status: 500 }));
  });
  return {
    url: srv.url,
    messages,
    calls,
    get requests() {
      return state.requests;
    },
    rateLimitNext: (n = 1) => {
      limited = n;
    },
    close: srv.close,
  };
}

export function twilioSign(authToken: string, url: string, params: Record<string, string>): string {
  let data = url;
  for (const k of Object.keys(params).sort()) data += k + params[k];
  return createHmac('sha1', authToken).update(data).digest('base64');
}

/** POST signed form params to `url`, as Twilio does for webhooks. */
export async function twilioWebhook(
  url: string,
  authToken: string,
  params: Record<string, string>,
  opts: { signature?: string } = {},
): Promise<{ status: number; body: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=UTF-8',
      'x-twilio-signature': opts.signature ?? twilioSign(authToken, url, params),
    },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: await res.text() };
}

/** An inbound SMS from `from` to our number. */
export function inboundSms(opts: {
  url: string;
  authToken: string;
  from: string;
  to: string;
  body: string;
  accountSid: string;
}) {
  return twilioWebhook(opts.url, opts.authToken, {
    MessageSid: sid('SM'),
    SmsSid: '',
    AccountSid: opts.accountSid,
    From: opts.from,
    To: opts.to,
    Body: opts.body,
    NumMedia: '0',
    NumSegments: '1',
    ApiVersion: '2010-04-01',
  });
}

/** The callee presses `digits` on a call: POST to the <Gather action> of its TwiML. */
export function pressDigits(
  call: FakeTwilioCall,
  digits: string,
  opts: { authToken: string; accountSid: string; to?: string },
) {
  const action = /<Gather[^>]* action="([^"]+)"/.exec(call.twiml)?.[1];
  if (!action) throw new Error('call has no <Gather action>');
  const url = action.replace(/&amp;/g, '&');
  const to = opts.to ?? call.to;
  return twilioWebhook(url, opts.authToken, {
    CallSid: call.sid,
    AccountSid: opts.accountSid,
    From: call.from,
    To: to,
    Caller: call.from,
    Called: to,
    CallStatus: 'in-progress',
    Direction: 'outbound-api',
    ApiVersion: '2010-04-01',
    Digits: digits,
  });
}
