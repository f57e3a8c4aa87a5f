// The org and its compiled expressions are shared by the runs of a worker, per org content hash: a run
// of the same org gets the same evaluator (one copy, not one per cached run), another org its own, and
// only a few org versions are kept.
import type { OrgIR } from '../../../core/ir';
import { sharedOrg } from '../../../workflows/shared-org';
import { AT, DETECTION, ORG } from '../engine/fake-runtime';

const orgOf = (hash: string, onCall = 'bo'): OrgIR => ({
  ...structuredClone(ORG),
  rotations: { primary: { ...ORG.rotations.primary, members: [onCall] } },
  hash,
});

describe('sharedOrg', () => {
  it('gives runs of the same org content one org object and one evaluator', () => {
    const first = sharedOrg(orgOf('same-1'));
    const second = sharedOrg(orgOf('same-1'));
    expect(second.org).toBe(first.org);
    expect(second.ev).toBe(first.ev);
  });

  it('gives another org version its own evaluator, which reads that version', () => {
    const a = sharedOrg(orgOf('ver-a', 'bo'));
    const b = sharedOrg(orgOf('ver-b', 'ana'));
    expect(b.ev).not.toBe(a.ev);
    expect(a.ev.onCall('primary', AT)).toBe('bo');
    expect(b.ev.onCall('primary', AT)).toBe('ana');
    // Evaluation through the shared evaluator sees the caller's scope, not another run's.
    const expr = { src: 'oncall("primary").id', at: 'p.yaml:1:1' };
    const scope = {
      detection: DETECTION,
      steps: {},
      playbook: { name: 'p', version: 1, hash: 'h' },
      now: AT,
    };
    expect(a.ev.value(expr, scope)).toBe('bo');
    expect(b.ev.value(expr, scope)).toBe('ana');
  });

  it('keeps a bounded number of org versions, the most recently used', () => {
    const kept = sharedOrg(orgOf('kept'));
    const oldest = sharedOrg(orgOf('old-0'));
    for (let i = 1; i < 20; i++) {
      sharedOrg(orgOf(`old-${i}`));
      sharedOrg(orgOf('kept')); // in use: never the oldest
    }
    expect(sharedOrg(orgOf('kept')).ev).toBe(kept.ev);
    // Pushed out by the newer versions: asked again, it is compiled afresh.
    expect(sharedOrg(orgOf('old-0')).ev).not.toBe(oldest.ev);
  });
});
