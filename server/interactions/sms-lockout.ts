// Wrong SMS codes are limited: a 4-digit code could otherwise be guessed from an approver's number
// (spoofed sender IDs exist). After MAX_WRONG wrong codes within WINDOW from one number, that number's
// replies are refused for LOCK, right codes included, with a reply that reveals nothing about codes.
//
// The count lives in this server process. With several server replicas behind a load balancer each
// keeps its own count, so the limit is per replica (N replicas allow up to N × MAX_WRONG guesses per
// window): still a few dozen guesses against 9,000 codes, and every lockout is logged and counted.
// Only numbers of people in nightshift.yaml are counted, so the memory is bounded by the organisation.

export const SMS_MAX_WRONG_CODES = 5;
export const SMS_WRONG_CODE_WINDOW_MS = 15 * 60_000;
export const SMS_LOCKOUT_MS = 15 * 60_000;

export interface SmsLockoutOptions {
  maxWrong?: number;
  windowMs?: number;
  lockMs?: number;
  now?: () => number;
}

export class SmsLockout {
  private readonly wrong = new Map<string, number[]>();
  private readonly lockedUntil = new Map<string, number>();
  private readonly maxWrong: number;
  private readonly windowMs: number;
  private readonly lockMs: number;
  private readonly now: () => number;

  constructor(opts: SmsLockoutOptions = {}) {
    this.maxWrong = opts.maxWrong ?? SMS_MAX_WRONG_CODES;
    this.windowMs = opts.windowMs ?? SMS_WRONG_CODE_WINDOW_MS;
    this.lockMs = opts.lockMs ?? SMS_LOCKOUT_MS;
    this.now = opts.now ?? Date.now;
  }

  /** Whether replies from `number` are refused now. */
  locked(number: string): boolean {
    const until = this.lockedUntil.get(number);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.lockedUntil.delete(number);
    return false;
  }

  /** Records a wrong code from `number`; true when this one locks it. */
  recordWrong(number: string): boolean {
    const t = this.now();
    const recent = (this.wrong.get(number) ?? []).filter((x) => t - x < this.windowMs);
    recent.push(t);
    if (recent.length < this.maxWrong) {
      this.wrong.set(number, recent);
      return false;
    }
    this.wrong.delete(number);
    this.lockedUntil.set(number, t + this.lockMs);
    return true;
  }

  /** Minutes a lock lasts, for the reply. */
  get lockMinutes(): number {
    return Math.ceil(this.lockMs / 60_000);
  }
}
