// A virtual clock for `nightshift simulate`: timers fire in time order, instantly, as soon as the
// interpreter has nothing else to do. Effects resolve at once (they take no virtual time).

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
  cancelled: boolean;
}

/** Lets every pending promise continuation run (effects resolve immediately in simulation). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class DeadlockError extends Error {
  override name = 'DeadlockError';
}

export class VirtualClock {
  private nowMs: number;
  private seq = 0;
  private timers: Timer[] = [];
  private waiters = new Set<{ ready: () => boolean; resolve: (v: boolean) => void; timer?: Timer }>();

  constructor(start: Date) {
    this.nowMs = start.getTime();
  }

  now(): Date {
    return new Date(this.nowMs);
  }

  /** Runs `fire` at `at` (virtual epoch ms); earlier timers and same-time timers in order of creation. */
  at(at: number, fire: () => void): Timer {
    const t: Timer = { at: Math.max(at, this.nowMs), seq: this.seq++, fire, cancelled: false };
    this.timers.push(t);
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    return t;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.at(this.nowMs + ms, resolve));
  }

  waitFor(ready: () => boolean, timeoutMs: number | undefined): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w: { ready: () => boolean; resolve: (v: boolean) => void; timer?: Timer } = { ready, resolve };
      if (timeoutMs !== undefined) {
        w.timer = this.at(this.nowMs + timeoutMs, () => {
          this.waiters.delete(w);
          resolve(ready());
        });
      }
      this.waiters.add(w);
    });
  }

  /** Drives the clock until `done()` holds. Throws DeadlockError if it waits on nothing. */
  async run(done: () => boolean): Promise<void> {
    for (;;) {
      await settle();
      let woke = false;
      for (const w of [...this.waiters]) {
        if (w.ready()) {
          this.waiters.delete(w);
          if (w.timer) w.timer.cancelled = true;
          w.resolve(true);
          woke = true;
        }
      }
      if (woke) continue;
      if (done()) return;
      const next = this.timers.shift();
      if (!next) throw new DeadlockError('the playbook waits for something that can never happen');
      if (next.cancelled) continue;
      this.nowMs = Math.max(this.nowMs, next.at);
      next.fire();
    }
  }
}
