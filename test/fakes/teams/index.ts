// A Teams Workflows webhook fake (reference/channels.md §3.3, §3.5): 202 with an empty body, the
// envelope validated, 413 over 28 KB, 429 on demand.
import type http from 'node:http';
import { listen, readBody } from '../http';

export interface FakeTeams {
  url: string;
  /** The webhook URL of a channel (the `sig=` query stands for the credential). */
  webhook(name: string): string;
  cards: Array<{ channel: string; card: Record<string, unknown> }>;
  rateLimitNext(n?: number): void;
  close(): Promise<void>;
}

export async function startFakeTeams(): Promise<FakeTeams> {
  const cards: FakeTeams['cards'] = [];
  let limited = 0;
  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const u = new URL(req.url ?? '/', 'http://x');
    const m = /^\/workflows\/([\w-]+)\/triggers\/manual\/paths\/invoke$/.exec(u.pathname);
    if (req.method !== 'POST' || !m || u.searchParams.get('sig') !== `sig-${m[1]}`) {
      res.writeHead(401);
      return res.end();
    }
    const raw = await readBody(req, 1024 * 1024);
    if (Buffer.byteLength(raw) > 28 * 1024) {
      res.writeHead(413, { 'content-type': 'text/plain' });
      return res.end('payload is too large');
    }
    if (limited > 0) {
      limited -= 1;
      res.writeHead(429, { 'retry-after': '1' });
      return res.end();
    }
    let env: {
      type?: string;
      attachments?: Array<{ contentType?: string; content?: Record<string, unknown> }>;
    };
    try {
      env = JSON.parse(raw);
    } catch {
      res.writeHead(400);
      return res.end('invalid json');
    }
    const att = env.attachments?.[0];
    if (
      env.type !== 'message' ||
      att?.contentType !== 'application/vnd.microsoft.card.adaptive' ||
      att.content?.type !== 'AdaptiveCard'
    ) {
      res.writeHead(400);
      return res.end('not an adaptive card message');
    }
    cards.push({ channel: m[1], card: att.content });
    res.writeHead(202);
    res.end();
  }
  const srv = await listen((req, res) => {
    handle(req, res).catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  return {
    url: srv.url,
    webhook: (name) =>
      `${srv.url}/workflows/${name}/triggers/manual/paths/invoke?api-version=1&sp=x&sv=1.0&sig=sig-${name}`,
    cards,
    rateLimitNext: (n = 1) => {
      limited = n;
    },
    close: srv.close,
  };
}

/** Every TextBlock text and Fact value of a card: the parts Teams renders as Markdown. */
export function cardMarkdown(card: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'TextBlock' && typeof o.text === 'string') out.push(o.text);
      if (o.type === 'FactSet' && Array.isArray(o.facts))
        for (const f of o.facts as Array<{ title?: string; value?: string }>)
          out.push(f.title ?? '', f.value ?? '');
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  return out;
}

/**
 * The links a CommonMark renderer (Adaptive Cards' Markdown subset) makes of `text`: inline links
 * `[label](url)` and autolinks `<scheme:…>`. Backslash-escaped punctuation is literal text, as in
 * CommonMark, so it starts nothing.
 */
export function markdownLinks(text: string): string[] {
  // An escaped character is literal text: replace it with one that starts no construct.
  const literal = text.replace(/\\[!-/:-@[-`{-~]/g, '\u2400');
  return [
    ...[...literal.matchAll(/\[[^\]]*\]\([^)]*\)/g)].map((m) => m[0]),
    ...[...literal.matchAll(/<[a-z][a-z0-9+.-]*:[^<>\s]*>/gi)].map((m) => m[0]),
  ];
}
