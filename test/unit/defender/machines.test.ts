// Machine resolution never guesses (issue 15 §1, reference §15.8): exactly one live, onboarded, unmerged
// match acts; none or several name the candidates.
import {
  describeCandidates,
  enrichment,
  findByIpPath,
  lookupPlan,
  nameFilter,
  nameMatches,
  normalizeHostName,
  pickMachine,
  type MdeMachine,
} from '../../../integrations/defender/machines';

const NOW = Date.parse('2026-11-22T03:10:00Z');
const ID = '1e5bc9d7e413ddd7902c2932e418702b84d0cc07';

function m(id: string, name: string, extra: Partial<MdeMachine> = {}): MdeMachine {
  return {
    id,
    computerDnsName: name,
    healthStatus: 'Active',
    onboardingStatus: 'Onboarded',
    mergedIntoMachineId: null,
    ...extra,
  };
}

describe('lookupPlan', () => {
  it('uses the MDE id first, then the name, then the IP at the detection time', () => {
    expect(
      lookupPlan(
        { id: ID.toUpperCase(), name: 'WKS-042.corp.example.', ip: '10.1.4.22' },
        '2026-11-22T03:01:07.123Z',
        NOW,
      ),
    ).toEqual([
      { by: 'id', id: ID },
      {
        by: 'name',
        name: 'wks-042.corp.example',
        filter:
          "computerDnsName eq 'wks-042.corp.example' or computerDnsName eq 'wks-042' or startswith(computerDnsName,'wks-042.')",
      },
      { by: 'ip', ip: '10.1.4.22', timestamp: '2026-11-22T03:01:07Z' },
    ]);
  });

  it('looks a Red Canary endpoint up by its name when it has no MDE id', () => {
    expect(lookupPlan({ id: 'wks-042', name: 'wks-042' }, '2026-11-22T03:01:07Z', NOW)).toEqual([
      {
        by: 'name',
        name: 'wks-042',
        filter: "computerDnsName eq 'wks-042' or startswith(computerDnsName,'wks-042.')",
      },
    ]);
  });

  it('skips an IP older than findbyip allows, and names that are not host names', () => {
    expect(
      lookupPlan({ id: 'endpoint 7', name: "o'brien pc", ip: '10.0.0.1' }, '2026-10-01T00:00:00Z', NOW),
    ).toEqual([]);
    expect(normalizeHostName('10.0.0.1')).toBeNull();
    expect(normalizeHostName("a'b")).toBeNull();
  });

  it('quotes names in the filter as OData literals', () => {
    // normalizeHostName refuses quotes, but the filter builder must still be safe on its own.
    expect(nameFilter("a'b")).toBe("computerDnsName eq 'a''b' or startswith(computerDnsName,'a''b.')");
    expect(findByIpPath('10.1.4.22', '2026-11-22T03:01:07Z')).toBe(
      "/api/machines/findbyip(ip='10.1.4.22',timestamp=2026-11-22T03:01:07Z)",
    );
  });
});

describe('pickMachine', () => {
  it('short and fully qualified names match each other, other domains and longer labels do not', () => {
    expect(nameMatches('wks-042', 'wks-042.corp.example')).toBe(true);
    expect(nameMatches('WKS-042.corp.example', 'wks-042')).toBe(true);
    expect(nameMatches('wks-042.other.example', 'wks-042.corp.example')).toBe(false);
    expect(nameMatches('wks-0421.corp.example', 'wks-042')).toBe(false);
  });

  it('takes the one live, onboarded, unmerged match', () => {
    const r = pickMachine(
      [
        m('a'.repeat(40), 'wks-042', { healthStatus: 'Inactive' }),
        m('b'.repeat(40), 'wks-042.corp.example', { mergedIntoMachineId: 'c'.repeat(40) }),
        m('c'.repeat(40), 'wks-042.corp.example'),
        m('d'.repeat(40), 'wks-042.corp.example', { onboardingStatus: 'CanBeOnboarded' }),
        m('e'.repeat(40), 'wks-0420.corp.example'),
      ],
      'wks-042.corp.example',
    );
    expect(r).toEqual({ outcome: 'found', machine: expect.objectContaining({ id: 'c'.repeat(40) }) });
  });

  it('two live matches are ambiguous, never value[0]', () => {
    const r = pickMachine(
      [
        m('a'.repeat(40), 'wks-042.corp.example'),
        m('b'.repeat(40), 'wks-042', { lastSeen: '2026-11-21T00:00:00Z' }),
      ],
      'wks-042.corp.example',
    );
    expect(r.outcome).toBe('ambiguous');
    if (r.outcome === 'found') throw new Error('unreachable');
    expect(describeCandidates(r.candidates)).toBe(
      `${'a'.repeat(40)} (wks-042.corp.example: Active); ${'b'.repeat(40)} (wks-042: Active, last seen 2026-11-21T00:00:00Z)`,
    );
  });

  it('no live match is not_found, listing what was seen and why it did not count', () => {
    const r = pickMachine(
      [m('a'.repeat(40), 'wks-042', { healthStatus: 'Inactive', mergedIntoMachineId: 'f'.repeat(40) })],
      'wks-042',
    );
    expect(r.outcome).toBe('not_found');
    if (r.outcome === 'found') throw new Error('unreachable');
    expect(describeCandidates(r.candidates)).toBe(
      `${'a'.repeat(40)} (wks-042: Inactive, merged into ${'f'.repeat(40)})`,
    );
    expect(pickMachine([], 'wks-042')).toEqual({ outcome: 'not_found', candidates: [] });
  });

  it('accepts the doc spelling onboardingstatus too', () => {
    const rec = { ...m('a'.repeat(40), 'x'), onboardingStatus: undefined, onboardingstatus: 'onboarded' };
    expect(pickMachine([rec], 'x').outcome).toBe('found');
  });
});

describe('enrichment', () => {
  it('maps the machine entity to device.mde, bounded', () => {
    const e = enrichment(
      {
        id: ID,
        computerDnsName: 'dc-01.corp.example',
        machineTags: ['domain-controller', 'tier0', 42 as unknown as string],
        rbacGroupName: 'Servers',
        rbacGroupId: 7,
        healthStatus: 'Active',
        onboardingStatus: 'Onboarded',
        riskScore: 'High',
        exposureLevel: 'Medium',
        deviceValue: 'High',
        osPlatform: 'WindowsServer2022',
        version: '21H2',
        lastSeen: '2026-11-22T01:00:00.1234567Z',
        lastIpAddress: '10.0.0.5',
      },
      'name',
    );
    expect(e).toMatchObject({
      status: 'found',
      id: ID,
      tags: ['domain-controller', 'tier0'],
      group: 'Servers',
      group_id: 7,
      risk: 'High',
      exposure: 'Medium',
      value: 'High',
      os: 'WindowsServer2022',
      os_version: '21H2',
      found_by: 'name',
      error: '',
    });
  });
});
