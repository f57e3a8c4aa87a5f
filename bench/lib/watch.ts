// Timestamps what the fakes receive, keyed the way the scenarios look things up. The Defender fake
// stamps each request itself on arrival (RecordedCall.at); Twilio and Slack record without a time, so
// they are stamped here on a 5 ms scan (only used for end-of-path times, where 5 ms is noise).
import type { FakeDefender } from '../../test/fakes/defender/fake-defender';
import type { FakeSlack } from '../../test/fakes/slack';
import type { FakeTwilio } from '../../test/fakes/twilio';

const ISOLATE = /^\/api\/machines\/([^/]+)\/isolate$/;
const MACHINE_IN_FILTER = /machineId eq '([0-9a-f]+)'/;

export interface SlackButton {
  channel: string;
  ts: string;
  at: number;
}

export class FakeWatch {
  /** Machine id → when its first isolate POST arrived. */
  readonly isolatePost = new Map<string, number>();
  /** Machine id → when the first Defender API call naming it arrived (the pending-action lookup). */
  readonly firstCall = new Map<string, number>();
  /** Machine id → number of isolate POSTs received. */
  readonly isolatePosts = new Map<string, number>();
  /** Device name → when its page SMS arrived. */
  readonly pageSms = new Map<string, number>();
  /** Approval id (the button value) → the Slack message carrying it. */
  readonly approvalButtons = new Map<string, SlackButton>();
  private cursors = { defender: 0, twilio: 0, slack: 0 };
  private waiters = new Set<() => boolean>();
  private timer: NodeJS.Timeout;

  constructor(
    private readonly defender: FakeDefender,
    private readonly twilio: FakeTwilio,
    private readonly slack: FakeSlack,
  ) {
    this.timer = setInterval(() => this.scan(), 5);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private scan(): void {
    const calls = this.defender.calls;
    for (; this.cursors.defender < calls.length; this.cursors.defender++) {
      const c = calls[this.cursors.defender];
      const iso = c.method === 'POST' ? ISOLATE.exec(c.path) : null;
      const machine = iso?.[1] ?? MACHINE_IN_FILTER.exec(c.query.$filter ?? '')?.[1];
      if (machine && !this.firstCall.has(machine)) this.firstCall.set(machine, c.at);
      if (iso) {
        if (!this.isolatePost.has(iso[1])) this.isolatePost.set(iso[1], c.at);
        this.isolatePosts.set(iso[1], (this.isolatePosts.get(iso[1]) ?? 0) + 1);
      }
    }
    const now = Date.now();
    const sms = this.twilio.messages;
    for (; this.cursors.twilio < sms.length; this.cursors.twilio++) {
      const m = /Isolated (\S+) /.exec(sms[this.cursors.twilio].body);
      if (m && !this.pageSms.has(m[1])) this.pageSms.set(m[1], now);
    }
    const msgs = this.slack.messages;
    for (; this.cursors.slack < msgs.length; this.cursors.slack++) {
      const msg = msgs[this.cursors.slack];
      for (const b of msg.blocks) {
        for (const e of (b as { elements?: Array<{ action_id?: string; value?: string }> }).elements ?? []) {
          if (e.action_id === 'approval.approve' && e.value)
            this.approvalButtons.set(e.value, { channel: msg.channel, ts: msg.ts, at: now });
        }
      }
    }
    for (const w of this.waiters) if (w()) this.waiters.delete(w);
  }

  /** Resolves with `get()`'s value once it is defined; rejects after `timeoutMs`. */
  wait<T>(get: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const now = get();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const end = Date.now() + timeoutMs;
      this.waiters.add(() => {
        const v = get();
        if (v !== undefined) {
          resolve(v);
          return true;
        }
        if (Date.now() > end) {
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
          return true;
        }
        return false;
      });
    });
  }
}
