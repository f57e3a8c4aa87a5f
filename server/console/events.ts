// Live updates: a page subscribes to a topic over server-sent events and is told when it changed. One
// poller for all subscribers of a topic computes a fingerprint from Temporal every few seconds; the
// ticker is created with the plugin (not inside a request), so no request's Temporal deadline applies
// to it. Connections are bounded, and closed when the server stops.
import type { FastifyReply } from 'fastify';

export interface Topic {
  /** A value that changes whenever what the page shows may have changed. */
  fingerprint(): Promise<string>;
}

interface Subscription {
  topic: string;
  reply: FastifyReply;
}

export class LiveHub {
  private readonly subs = new Set<Subscription>();
  private readonly last = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;
  private readonly keepAlive: NodeJS.Timeout;
  private ticking = false;

  constructor(
    private readonly topics: (name: string) => Topic | undefined,
    private readonly opts: { intervalMs: number; maxConnections: number; onError?: (err: unknown) => void },
  ) {
    this.timer = setInterval(() => void this.tick(), opts.intervalMs);
    this.timer.unref();
    // Comments keep proxies from closing an idle stream.
    this.keepAlive = setInterval(() => {
      for (const s of this.subs) s.reply.raw.write(': keep-alive\n\n');
    }, 15_000);
    this.keepAlive.unref();
  }

  get size(): number {
    return this.subs.size;
  }

  /** Starts an event stream; false (nothing sent) when the topic is unknown or the hub is full. */
  subscribe(topic: string, reply: FastifyReply): 'ok' | 'unknown' | 'full' {
    if (!this.topics(topic)) return 'unknown';
    if (this.subs.size >= this.opts.maxConnections) return 'full';
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    reply.raw.write('retry: 5000\n\n');
    const sub = { topic, reply };
    this.subs.add(sub);
    reply.raw.on('close', () => this.subs.delete(sub));
    return 'ok';
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.subs.size === 0) return;
    this.ticking = true;
    try {
      const names = new Set([...this.subs].map((s) => s.topic));
      for (const name of names) {
        const topic = this.topics(name);
        if (!topic) continue;
        let fp: string;
        try {
          fp = await topic.fingerprint();
        } catch (err) {
          this.opts.onError?.(err);
          continue;
        }
        const before = this.last.get(name);
        this.last.set(name, fp);
        if (before === undefined || before === fp) continue;
        for (const s of this.subs) if (s.topic === name) s.reply.raw.write('event: changed\ndata: {}\n\n');
      }
      // Topics nobody watches any more are forgotten.
      for (const name of this.last.keys()) if (!names.has(name)) this.last.delete(name);
    } finally {
      this.ticking = false;
    }
  }

  close(): void {
    clearInterval(this.timer);
    clearInterval(this.keepAlive);
    for (const s of this.subs) s.reply.raw.end();
    this.subs.clear();
  }
}
