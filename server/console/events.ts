// Live updates: a page subscribes to a topic over server-sent events and is told when it changed. One
// poller for all subscribers of a topic computes a fingerprint from Temporal every few seconds; the
// ticker is created with the plugin (not inside a request), so no request's Temporal deadline applies
// to it. Connections are bounded, and closed when the server stops.
//
// A page carries the fingerprint taken before its data was read, and subscribes with it: a change
// between the page's rendering and the subscriber's first tick is then still told (a baseline taken
// at the first tick would already contain it).
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';

export interface Topic {
  /** A value that changes whenever what the page shows may have changed. */
  fingerprint(): Promise<string>;
}

/** Whose stream it is: the session, and when it ends (ms). */
export interface StreamOwner {
  session: string;
  until: number;
}

interface Subscription {
  topic: string;
  reply: FastifyReply;
  owner?: StreamOwner;
  /** The fingerprint this subscriber's page reflects; unknown until the first tick. */
  seen?: string;
}

/** A short, opaque form of a fingerprint, as pages carry it. */
function digest(fp: string): string {
  return createHash('sha256').update(fp).digest('hex').slice(0, 32);
}

/** What a page may send back as its fingerprint. */
export const SEEN_PATTERN = /^[0-9a-f]{32}$/;

export class LiveHub {
  private readonly subs = new Set<Subscription>();
  private readonly timer: NodeJS.Timeout;
  private readonly keepAlive: NodeJS.Timeout;
  private ticking = false;

  constructor(
    private readonly topics: (name: string) => Topic | undefined,
    private readonly opts: {
      intervalMs: number;
      maxConnections: number;
      /** Streams one session may hold: one person's tabs cannot take every place. */
      maxPerSession?: number;
      onError?: (err: unknown) => void;
    },
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

  /** The topic's fingerprint now, for a page to carry (undefined when unknown or unreadable). */
  async fingerprint(name: string): Promise<string | undefined> {
    const topic = this.topics(name);
    if (!topic) return undefined;
    try {
      return digest(await topic.fingerprint());
    } catch (err) {
      this.opts.onError?.(err);
      return undefined;
    }
  }

  /**
   * Starts an event stream, or says why not (nothing sent): the topic is unknown, the hub is full, or
   * the `owner` session holds its share of streams already. `seen`:
   * the fingerprint the page reflects (from `fingerprint`), so a change since is told at the next tick.
   */
  subscribe(
    topic: string,
    reply: FastifyReply,
    seen?: string,
    owner?: StreamOwner,
  ): 'ok' | 'unknown' | 'full' | 'session_full' {
    if (!this.topics(topic)) return 'unknown';
    if (owner && this.opts.maxPerSession !== undefined) {
      let mine = 0;
      for (const s of this.subs) if (s.owner?.session === owner.session) mine++;
      if (mine >= this.opts.maxPerSession) return 'session_full';
    }
    if (this.subs.size >= this.opts.maxConnections) return 'full';
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    reply.raw.write('retry: 5000\n\n');
    const sub: Subscription = {
      topic,
      reply,
      owner,
      seen: seen && SEEN_PATTERN.test(seen) ? seen : undefined,
    };
    this.subs.add(sub);
    reply.raw.on('close', () => this.subs.delete(sub));
    return 'ok';
  }

  /** Ends the streams of a session (signed out); the page then reconnects and is refused. */
  endSession(session: string): void {
    for (const s of this.subs) if (s.owner?.session === session) this.end(s);
  }

  private end(s: Subscription): void {
    this.subs.delete(s);
    s.reply.raw.end();
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.subs.size === 0) return;
    this.ticking = true;
    try {
      // A stream lasts no longer than its session.
      const now = Date.now();
      for (const s of this.subs) if (s.owner && s.owner.until <= now) this.end(s);
      const names = new Set([...this.subs].map((s) => s.topic));
      for (const name of names) {
        const fp = await this.fingerprint(name);
        if (fp === undefined) continue;
        for (const s of this.subs) {
          if (s.topic !== name) continue;
          if (s.seen !== undefined && s.seen !== fp) s.reply.raw.write('event: changed\ndata: {}\n\n');
          s.seen = fp;
        }
      }
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
