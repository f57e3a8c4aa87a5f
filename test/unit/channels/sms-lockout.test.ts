// The wrong-SMS-code limit on a virtual clock: five wrong codes within 15 minutes lock a number for 15
// minutes; older wrong codes fall out of the window; each number counts alone.
import { SmsLockout } from '../../../server/interactions/sms-lockout';

describe('SmsLockout', () => {
  let t = 0;
  const lock = () => new SmsLockout({ now: () => t });
  const min = 60_000;

  beforeEach(() => {
    t = 1_000_000;
  });

  it('locks on the fifth wrong code within the window, for 15 minutes', () => {
    const l = lock();
    for (let i = 0; i < 4; i++) expect(l.recordWrong('+1')).toBe(false);
    expect(l.locked('+1')).toBe(false);
    expect(l.recordWrong('+1')).toBe(true);
    expect(l.locked('+1')).toBe(true);
    expect(l.locked('+2')).toBe(false);
    t += 15 * min - 1;
    expect(l.locked('+1')).toBe(true);
    t += 1;
    expect(l.locked('+1')).toBe(false);
    // The count starts again after a lock.
    expect(l.recordWrong('+1')).toBe(false);
  });

  it('forgets wrong codes older than the window', () => {
    const l = lock();
    for (let i = 0; i < 4; i++) l.recordWrong('+1');
    t += 15 * min;
    expect(l.recordWrong('+1')).toBe(false);
    for (let i = 0; i < 3; i++) expect(l.recordWrong('+1')).toBe(false);
    expect(l.recordWrong('+1')).toBe(true);
  });
});
