// The scripted tenant of `simulate --defender FILE`: the live lookup's rules over scripted machines, hunt
// rows per step, incidents, script outcomes; a bad file names the field.
import {
  ScriptedDefender,
  ScriptedTenantError,
  parseScriptedTenant,
} from '../../../integrations/defender/scripted';

const H = (c: string) => c.repeat(40);
const NOW = new Date('2026-11-22T03:05:00Z');
const FILE = `
machines:
  - { id: ${H('a')}, name: wks-042.corp.example, tags: [finance], group: Workstations, ip: 10.1.4.22 }
  - { id: ${H('b')}, name: wks-042, health: Inactive }
  - { id: ${H('c')}, name: old-wks, merged_into: ${H('a')} }
  - { id: ${H('d')}, name: dc-01.corp.example, tags: [domain-controller] }
  - { id: ${H('e')}, name: dc-01 }
hunts:
  hunt-hash:
    - { DeviceId: ${H('a')}, DeviceName: wks-042.corp.example }
incidents:
  "4521": { incidentName: Ransomware, status: Active, severity: High, alerts: [{ alertId: da1, title: x, devices: [{ mdatpDeviceId: ${H('a')}, deviceDnsName: wks-042 }] }] }
scripts:
  kill: { exit_code: 2, outcome: refused, output: 'nightshift-result: {"outcome":"refused"}' }
`;

describe('ScriptedDefender', () => {
  const d = new ScriptedDefender(parseScriptedTenant(FILE, 'tenant.yaml'));

  it('resolves devices by the live rules', () => {
    expect(d.lookup({ id: 'wks-042', name: 'wks-042' }, NOW.toISOString(), NOW)).toMatchObject({
      status: 'found',
      id: H('a'),
      tags: ['finance'],
      found_by: 'name',
    });
    expect(d.lookup({ id: H('c') }, NOW.toISOString(), NOW)).toMatchObject({
      status: 'found',
      id: H('a'),
      found_by: 'id',
    });
    expect(d.lookup({ id: 'x', name: 'ghost', ip: '10.1.4.22' }, NOW.toISOString(), NOW)).toMatchObject({
      status: 'found',
      id: H('a'),
      found_by: 'ip',
    });
    const amb = d.lookup({ id: 'dc-01' }, NOW.toISOString(), NOW);
    expect(amb.status).toBe('ambiguous');
    expect(amb.error).toContain(H('d'));
    expect(d.lookup({ id: 'nobody' }, NOW.toISOString(), NOW)).toMatchObject({
      status: 'not_found',
      error: 'no live, onboarded Defender machine matches nobody (looked up by name)',
    });
  });

  it('answers hunts per step, incidents by id, scripts per step', () => {
    expect(d.hunt('hunt-hash', 10, { DeviceId: 'string' }).rows).toEqual([{ DeviceId: H('a') }]);
    expect(d.hunt('other', 10).rows).toEqual([]);
    expect(d.incident('4521').incident).toMatchObject({
      id: '4521',
      name: 'Ransomware',
      entities: { devices: [{ id: H('a') }] },
    });
    expect(d.incident('9').error).toBe('incident 9 is not in the scripted tenant');
    expect(d.script('kill', 'kill_process').outcome).toMatchObject({ exit_code: 2, outcome: 'refused' });
    expect(d.script('delete', 'delete_file')).toEqual({
      status: 'Succeeded',
      outcome: { script_name: '', exit_code: 0, outcome: 'deleted', detail: {}, output: '', errors: '' },
    });
  });

  it('without a file: lookups are dry runs (the device as given), hunts empty', () => {
    const none = new ScriptedDefender();
    expect(none.lookup({ id: 'wks-042' }, NOW.toISOString(), NOW).status).toBe('dry_run');
    expect(none.hunt('x', 5).rows).toEqual([]);
  });

  it('a bad file names the file and the field', () => {
    expect(() => parseScriptedTenant('machines:\n  - { id: nope, name: x }\nhuntz: {}\n', 't.yaml')).toThrow(
      new ScriptedTenantError(
        't.yaml: machines.0.id: must be a Defender machine id (40 hex digits)\nt.yaml: (top): Unrecognized key: "huntz"',
      ),
    );
    expect(() => parseScriptedTenant('a: [', 't.yaml')).toThrow(/^t\.yaml: /);
  });
});
