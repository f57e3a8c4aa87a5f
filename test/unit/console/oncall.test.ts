import type { RotationIR } from '../../../core/ir';
import { nextHandoff } from '../../../server/console/oncall';

const rot = (overrides: RotationIR['overrides'] = [], members = ['ana', 'ben']): RotationIR => ({
  timezone: 'Europe/Paris',
  every: { unit: 'w', n: 1 },
  handoff: '2026-01-05T09:00',
  members,
  overrides,
});

describe('nextHandoff', () => {
  it('is the next weekly handoff, in the rotation time zone', () => {
    expect(nextHandoff(rot(), new Date('2026-01-06T00:00:00Z'))).toEqual({
      at: new Date('2026-01-12T08:00:00Z'), // 09:00 in Paris (UTC+1)
      person: 'ben',
    });
  });

  it('stops at an override that puts someone else on call, and after it', () => {
    const r = rot([{ person: 'ben', from: '2026-01-07T00:00', to: '2026-01-08T00:00' }]);
    expect(nextHandoff(r, new Date('2026-01-06T00:00:00Z'))).toEqual({
      at: new Date('2026-01-06T23:00:00Z'),
      person: 'ben',
    });
    expect(nextHandoff(r, new Date('2026-01-07T12:00:00Z'))).toEqual({
      at: new Date('2026-01-07T23:00:00Z'),
      person: 'ana',
    });
  });

  it('crosses DST keeping the local handoff time, and is null for a rotation of one', () => {
    expect(nextHandoff(rot(), new Date('2026-03-25T12:00:00Z'))?.at).toEqual(
      new Date('2026-03-30T07:00:00Z'),
    );
    expect(nextHandoff(rot([], ['ana']), new Date('2026-01-06T00:00:00Z'))).toBeNull();
  });
});
