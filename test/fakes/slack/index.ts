// A Slack Web API fake speaking the real wire protocol (reference/channels.md §1.1, §1.5): POST
// /api/<method>, form bodies with JSON-encoded object fields, Bearer auth, always 200 + JSON (ok:false
// for faults) or 429 + Retry-After. It also plays the Slack side of interactivity: signed block_actions.
import { createHmac } from 'node:crypto';
import type http from 'node:http';
import { json, listen, readBody } from '../http';

export interface FakeMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks: Array<Record<string, unknown>>;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  updates: number;
}

export interface FakeSlack {
  url: string;
  apiUrl: string;
  calls: Array<{ method: string; params: Record<string, unknown> }>;
  messages: FakeMessage[];
  ephemerals: Array<{ channel: string; user: string; text: string }>;
  /** The next call of `method` answers ok:false with `error`. */
  failNext(method: string, error: string): void;
  /** The next call of `method` answers 429 with Retry-After `seconds`. */
  rateLimitNext(method: string, seconds: number): void;
  close(): Promise<void>;
}

const OBJECT_FIELDS = ['blocks', 'attachments', 'metadata'];

export async function startFakeSlack(opts: { token: string; channels: string[] }): Promise<FakeSlack> {
  const calls: FakeSlack['calls'] = [];
  const messages: FakeMessage[] = [];
  const ephemerals: FakeSlack['ephemerals'] = [];
  const failures = new Map<string, string>();
  const limits = new Map<string, number>();
  const known = new Set(opts.channels);
  let clock = Math.floor(Date.now() / 1000) * 1_000_000;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const m = /^\/api\/([a-zA-Z.]+)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !m) return json(res, 404, { ok: false, error: 'unknown_method' });
    const method = m[1];
    const raw = await readBody(req);
    const params: Record<string, unknown> = {};
    if ((req.headers['content-type'] ?? '').startsWith('application/json'))
      Object.assign(params, JSON.parse(raw || '{}'));
    else
      for (const [k, v] of new URLSearchParams(raw))
        params[k] = OBJECT_FIELDS.includes(k) ? JSON.parse(v) : v;
    calls.push({ method, params });
    const limit = limits.get(method);
    if (limit !== undefined) {
      limits.delete(method);
      res.writeHead(429, { 'retry-after': String(limit), 'content-type': 'application/json' });
      return res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
    }
    if (req.headers.authorization !== `Bearer ${opts.token}`)
      return json(res, 200, { ok: false, error: 'invalid_auth' });
    const fail = failures.get(method);
    if (fail) {
      failures.delete(method);
      return json(res, 200, { ok: false, error: fail });
    }
    const channel = String(params.channel ?? '');
    const exists = known.has(channel) || channel.startsWith('D');
    switch (method) {
      case 'chat.postMessage': {
        if (!exists) return json(res, 200, { ok: false, error: 'channel_not_found' });
        if (!params.text && !params.blocks) return json(res, 200, { ok: false, error: 'no_text' });
        clock += 1;
        const ts = `${Math.floor(clock / 1_000_000)}.${String(clock % 1_000_000).padStart(6, '0')}`;
        const msg: FakeMessage = {
          channel,
          ts,
          text: params.text as string,
          blocks: (params.blocks as FakeMessage['blocks']) ?? [],
          metadata: params.metadata as FakeMessage['metadata'],
          updates: 0,
        };
        messages.push(msg);
        return json(res, 200, {
          ok: true,
          channel,
          ts,
          message: { type: 'message', ts, text: msg.text, bot_id: 'B0BOT' },
        });
      }
      case 'chat.update': {
        const msg = messages.find((x) => x.channel === channel && x.ts === params.ts);
        if (!msg) return json(res, 200, { ok: false, error: 'message_not_found' });
        if (params.text !== undefined) msg.text = params.text as string;
        // Omitted blocks keep the previous ones; [] removes them (Slack docs).
        if (params.blocks !== undefined) msg.blocks = params.blocks as FakeMessage['blocks'];
        msg.updates += 1;
        return json(res, 200, {
          ok: true,
          channel,
          ts: msg.ts,
          text: msg.text,
          message: { type: 'message', ts: msg.ts },
        });
      }
      case 'chat.postEphemeral': {
        if (!exists) return json(res, 200, { ok: false, error: 'channel_not_found' });
        ephemerals.push({ channel, user: String(params.user), text: String(params.text ?? '') });
        return json(res, 200, { ok: true, message_ts: `${Date.now() / 1000}` });
      }
      case 'conversations.open': {
        const users = String(params.users ?? '');
        if (!/^U[A-Z0-9]+$/.test(users)) return json(res, 200, { ok: false, error: 'user_not_found' });
        return json(res, 200, { ok: true, channel: { id: `D${users.slice(1)}` } });
      }
      case 'conversations.history': {
        if (!exists) return json(res, 200, { ok: false, error: 'channel_not_found' });
        const withMeta = params.include_all_metadata === 'true' || params.include_all_metadata === true;
        const list = messages
          .filter((x) => x.channel === channel)
          .reverse()
          .slice(0, Number(params.limit ?? 100))
          .map((x) => ({
            type: 'message',
            ts: x.ts,
            text: x.text,
            ...(withMeta && x.metadata ? { metadata: x.metadata } : {}),
          }));
        return json(res, 200, { ok: true, messages: list, has_more: false });
      }
      default:
        return json(res, 200, { ok: false, error: 'unknown_method' });
    }
  }

  const srv = await listen((req, res) => {
    handle(req, res).catch(() => json(res, 500, { ok: false, error: 'fake_error' }));
  });
  return {
    url: srv.url,
    apiUrl: `${srv.url}/api/`,
    calls,
    messages,
    ephemerals,
    failNext: (method, error) => failures.set(method, error),
    rateLimitNext: (method, seconds) => limits.set(method, seconds),
    close: srv.close,
  };
}

/** A block_actions body as Slack sends it, signed with the signing secret (reference §1.3). */
export function signedClick(opts: {
  signingSecret: string;
  user: string;
  channel: string;
  ts: string;
  actionId: string;
  value: string;
  /** Header timestamp (unix seconds); default now. */
  timestamp?: number;
  actionTs?: string;
}): { body: string; headers: Record<string, string> } {
  const payload = {
    type: 'block_actions',
    user: { id: opts.user, username: opts.user.toLowerCase(), team_id: 'T0TEAM' },
    team: { id: 'T0TEAM', domain: 'acme' },
    api_app_id: 'A0APP',
    token: 'legacy',
    trigger_id: `1.2.${Math.random().toString(36).slice(2)}`,
    container: { type: 'message', message_ts: opts.ts, channel_id: opts.channel, is_ephemeral: false },
    channel: { id: opts.channel, name: 'soc' },
    message: { type: 'message', ts: opts.ts, bot_id: 'B0BOT' },
    response_url: 'https://hooks.slack.com/actions/T0TEAM/1/abc',
    actions: [
      {
        type: 'button',
        action_id: opts.actionId,
        block_id: 'b',
        value: opts.value,
        text: { type: 'plain_text', text: 'x' },
        action_ts: opts.actionTs ?? `${Date.now() / 1000}`,
      },
    ],
  };
  const body = 'payload=' + encodeURIComponent(JSON.stringify(payload));
  const ts = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const sig = 'v0=' + createHmac('sha256', opts.signingSecret).update(`v0:${ts}:${body}`).digest('hex');
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': sig,
    },
  };
}

/**
 * What Slack reads as control sequences in mrkdwn or a `text` fallback: every `<…>` span (mentions
 * `<@U…>`, `<!channel>`, `<#C…>`, dates `<!date^…>`, links `<url|label>`) — Slack "Formatting text".
 * Text escaped as `&lt;…&gt;` has none.
 */
export function slackSequences(text: string): string[] {
  return [...text.matchAll(/<[^<>]*>/g)].map((m) => m[0]);
}

/** The `text` of a message and every mrkdwn text of its blocks: everything Slack formats. */
export function slackFormatted(msg: { text?: string; blocks: Array<Record<string, unknown>> }): string[] {
  const out: string[] = msg.text ? [msg.text] : [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'mrkdwn' && typeof o.text === 'string') out.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(msg.blocks);
  return out;
}
