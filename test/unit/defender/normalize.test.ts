import {
  DEFAULT_CONFIRM_RULE,
  checkAlertRule,
  mapSeverity,
  mapStatus,
  normalizeAlert,
} from '../../../integrations/defender/alerts';
import type { DefenderAlert } from '../../../integrations/defender/client';

// reference §11.1, with its evidence extended by one item per entity type.
const alert: DefenderAlert = {
  id: 'da637472900382838869_1364969609',
  incidentId: 1126093,
  investigationId: null,
  assignedTo: null,
  severity: 'Low',
  status: 'New',
  classification: null,
  determination: null,
  investigationState: 'Queued',
  detectionSource: 'WindowsDefenderAtp',
  detectorId: '17e10bbc-3a68-474a-8aad-faef14d43952',
  category: 'Execution',
  threatFamilyName: null,
  title: 'Low-reputation arbitrary code executed by signed executable',
  description: 'Binaries signed by Microsoft can be used to run low-reputation arbitrary code. ...',
  alertCreationTime: '2021-01-26T20:33:57.7220239Z',
  firstEventTime: '2021-01-26T20:31:32.9562661Z',
  lastEventTime: '2021-01-26T20:31:33.0577322Z',
  lastUpdateTime: '2021-01-26T20:33:59.2Z',
  resolvedTime: null,
  machineId: '111e6dd8c833c8a052ea231ec1b19adaf497b625',
  computerDnsName: 'temp123.middleeast.corp.microsoft.com',
  rbacGroupName: 'A',
  aadTenantId: 'a839b112-1253-6432-9bf6-94542403f21c',
  threatName: null,
  mitreTechniques: ['T1064', 'T1085', 'T1220'],
  relatedUser: { userName: 'temp123', domainName: 'DOMAIN' },
  comments: [
    {
      comment: 'test comment for docs',
      createdBy: 'secop123@contoso.com',
      createdTime: '2021-01-26T01:00:37.8404534Z',
    },
  ],
  loggedOnUsers: [{ accountName: 'x', domainName: 'y' }],
  evidence: [
    {
      entityType: 'File',
      sha1: '8563F95B2F8A284FC99DA44500CD51A77C1FF36C',
      sha256: 'dc0ade0c95d6db98882bc8fa6707e64353cd6f7767ff48d6a81a6c2aef21c608',
      fileName: 'suspicious.dll',
      filePath: 'c:\\temp',
      processId: null,
      ipAddress: null,
      url: null,
      detectionStatus: 'Detected',
    },
    {
      entityType: 'Process',
      processId: 4242,
      processCommandLine: 'rundll32.exe suspicious.dll',
      fileName: 'rundll32.exe',
      sha1: null,
    },
    { entityType: 'User', accountName: 'jdoe', domainName: 'CORP', userPrincipalName: 'jdoe@corp.example' },
    { entityType: 'User', accountName: 'temp123', domainName: 'DOMAIN' },
    { entityType: 'Ip', ipAddress: '10.1.4.22' },
    { entityType: 'Url', url: 'http://evil.example/x' },
  ],
};

describe('normalizeAlert', () => {
  it('maps the documented alert to the spec §5 detection', () => {
    expect(normalizeAlert(alert, { portalUrl: 'https://security.microsoft.com' })).toEqual({
      id: 'da637472900382838869_1364969609',
      source: 'defender',
      title: 'Low-reputation arbitrary code executed by signed executable',
      severity: 'low',
      status: 'suspected',
      category: 'Execution',
      mitre: ['T1064', 'T1085', 'T1220'],
      incident_id: '1126093',
      alert_ids: ['da637472900382838869_1364969609'],
      detected_at: '2021-01-26T20:31:32.9562661Z',
      url: 'https://security.microsoft.com/alerts/da637472900382838869_1364969609',
      devices: [
        {
          id: '111e6dd8c833c8a052ea231ec1b19adaf497b625',
          name: 'temp123.middleeast.corp.microsoft.com',
          tags: [],
        },
      ],
      users: [
        { name: 'temp123', domain: 'DOMAIN' },
        { name: 'jdoe', domain: 'CORP', upn: 'jdoe@corp.example' },
      ],
      evidence: {
        files: [
          {
            sha1: '8563f95b2f8a284fc99da44500cd51a77c1ff36c',
            sha256: 'dc0ade0c95d6db98882bc8fa6707e64353cd6f7767ff48d6a81a6c2aef21c608',
            path: 'c:\\temp',
            name: 'suspicious.dll',
          },
        ],
        processes: [{ pid: 4242, command_line: 'rundll32.exe suspicious.dll', name: 'rundll32.exe' }],
        ips: ['10.1.4.22'],
        urls: ['http://evil.example/x'],
      },
    });
  });

  it('tolerates a minimal alert (no evidence, no machine, nulls everywhere)', () => {
    const d = normalizeAlert({
      id: 'ar1',
      lastUpdateTime: '2024-01-01T00:00:00Z',
      title: null,
      severity: null,
      incidentId: null,
    });
    expect(d).toMatchObject({
      id: 'ar1',
      title: '(untitled Defender alert)',
      severity: 'informational',
      status: 'suspected',
      devices: [],
      users: [],
    });
    expect(d.incident_id).toBeUndefined();
    expect(d.url).toBeUndefined();
    expect(() => normalizeAlert({} as DefenderAlert)).toThrow('alert has no id');
  });

  it('bounds lists taken from the alert', () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({
      entityType: 'Ip',
      ipAddress: `10.0.${i >> 8}.${i & 255}`,
    }));
    expect(normalizeAlert({ id: 'x', evidence: many }).evidence.ips).toHaveLength(200);
  });

  it.each([
    ['UnSpecified', 'informational'],
    ['Informational', 'informational'],
    ['Low', 'low'],
    ['Medium', 'medium'],
    ['High', 'high'],
    [null, 'informational'],
  ])('severity %s → %s', (s, expected) => expect(mapSeverity(s)).toBe(expected));

  it.each([
    [{ classification: 'TruePositive', status: 'Resolved' }, 'confirmed'],
    [{ classification: 'TruePositive', status: 'New' }, 'confirmed'],
    [{ classification: 'FalsePositive', status: 'New' }, 'false_positive'],
    [{ classification: 'InformationalExpectedActivity', status: 'Resolved' }, 'false_positive'],
    [{ classification: null, status: 'Resolved' }, 'resolved'],
    [{ classification: null, status: 'InProgress' }, 'suspected'],
    [{ classification: null, status: 'Unknown' }, 'suspected'],
  ])('status %j → %s', (a, expected) => expect(mapStatus(a)).toBe(expected));
});

describe('intake rule', () => {
  it('accepts the default and typical rules, refuses bad ones with a clear message', () => {
    expect(() => checkAlertRule(DEFAULT_CONFIRM_RULE)).not.toThrow();
    expect(() =>
      checkAlertRule("alert.classification == 'TruePositive' && alert.severity in ['High', 'Medium']"),
    ).not.toThrow();
    expect(() => checkAlertRule('detection.status ==')).toThrow(
      /Defender intake rule "detection.status ==": /,
    );
    expect(() => checkAlertRule('foo == 1')).toThrow(/Unknown variable: foo/);
    expect(() => checkAlertRule('1 + 2')).toThrow(/must be a bool/);
    expect(() => checkAlertRule('x'.repeat(3000))).toThrow(/longer than/);
  });
});
