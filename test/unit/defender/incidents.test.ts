// The incident read into the run state, and the update_incident PATCH body (issue 15 §5).
import {
  IncidentParamError,
  MAX_INCIDENT_ENTITIES,
  checkIncidentId,
  incidentSummary,
  incidentUpdateBody,
  type XdrIncident,
} from '../../../integrations/defender/incidents';

// The documented example (reference §11.6), with a second alert sharing the device and adding entities.
const INCIDENT: XdrIncident = {
  incidentId: 924521,
  redirectIncidentId: null,
  incidentName: "'Mimikatz' hacktool was detected on one endpoint",
  createdTime: '2020-09-06T12:18:03.6266667Z',
  lastUpdateTime: '2020-09-06T12:18:03.81Z',
  assignedTo: null,
  classification: 'Unknown',
  determination: 'NotAvailable',
  status: 'Active',
  severity: 'Low',
  tags: [],
  comments: [],
  alerts: [
    {
      alertId: 'da637349914833441527_393341063',
      incidentId: 924521,
      serviceSource: 'MicrosoftDefenderATP',
      creationTime: '2020-09-06T12:18:03.3285366Z',
      firstActivity: '2020-09-06T12:15:07.7272048Z',
      lastActivity: '2020-09-06T12:15:07.7272048Z',
      title: "'Mimikatz' hacktool was detected",
      category: 'Malware',
      status: 'New',
      severity: 'Low',
      detectionSource: 'WindowsDefenderAv',
      threatFamilyName: 'Mimikatz',
      mitreTechniques: [],
      devices: [
        {
          mdatpDeviceId: '24c222b0b60fe148eeece49ac83910cc6a7ef491',
          aadDeviceId: null,
          deviceDnsName: 'user5cx.middleeast.corp.contoso.com',
          osPlatform: 'WindowsServer2016',
          healthStatus: 'Active',
          riskScore: 'High',
          rbacGroupName: 'WDATP-Ring0',
        },
      ],
      entities: [
        {
          entityType: 'File',
          sha1: '5de839186691aa96ee2ca6d74f0a38fb8d1bd6dd',
          fileName: 'Detector.UnitTests.dll',
          deviceId: '24c222b0b60fe148eeece49ac83910cc6a7ef491',
        },
      ],
    },
    {
      alertId: 'da637349914833441527_000000002',
      title: 'Suspicious process',
      devices: [
        {
          mdatpDeviceId: '24c222b0b60fe148eeece49ac83910cc6a7ef491',
          deviceDnsName: 'user5cx.middleeast.corp.contoso.com',
        },
      ],
      entities: [
        {
          entityType: 'User',
          accountName: 'jdoe',
          domainName: 'CORP',
          userPrincipalName: 'jdoe@corp.example',
          userSid: 'S-1-5-21-1',
        },
        {
          entityType: 'Process',
          processId: 4242,
          processCommandLine: 'mimikatz.exe "sekurlsa::logonpasswords"',
          fileName: 'mimikatz.exe',
          processCreationTime: '2020-09-06T12:15:00Z',
          deviceId: 'x',
        },
        { entityType: 'Ip', ipAddress: '203.0.113.9' },
        { entityType: 'Url', url: 'https://evil.example/x' },
        { entityType: 'MailBox', mailboxAddress: 'a@b.c' },
        {
          entityType: 'File',
          sha1: '5de839186691aa96ee2ca6d74f0a38fb8d1bd6dd',
          fileName: 'Detector.UnitTests.dll',
        },
      ],
    },
  ],
};

describe('incidentSummary', () => {
  it('reads alerts, devices and entities into the documented shape, deduplicated', () => {
    const s = incidentSummary(INCIDENT, 'https://security.microsoft.com');
    expect(s).toMatchObject({
      id: '924521',
      name: "'Mimikatz' hacktool was detected on one endpoint",
      status: 'Active',
      classification: 'Unknown',
      determination: 'NotAvailable',
      assigned_to: '',
      url: 'https://security.microsoft.com/incidents/924521',
      truncated: false,
    });
    expect(s.alerts.map((a) => [a.id, a.device_ids])).toEqual([
      ['da637349914833441527_393341063', ['24c222b0b60fe148eeece49ac83910cc6a7ef491']],
      ['da637349914833441527_000000002', ['24c222b0b60fe148eeece49ac83910cc6a7ef491']],
    ]);
    expect(s.entities).toEqual({
      devices: [
        {
          id: '24c222b0b60fe148eeece49ac83910cc6a7ef491',
          name: 'user5cx.middleeast.corp.contoso.com',
          os: 'WindowsServer2016',
          health: 'Active',
          risk: 'High',
          tags: [],
        },
      ],
      users: [{ name: 'jdoe', domain: 'CORP', upn: 'jdoe@corp.example', sid: 'S-1-5-21-1' }],
      files: [
        {
          sha1: '5de839186691aa96ee2ca6d74f0a38fb8d1bd6dd',
          sha256: '',
          name: 'Detector.UnitTests.dll',
          path: '',
        },
      ],
      processes: [
        {
          id: 4242,
          command_line: 'mimikatz.exe "sekurlsa::logonpasswords"',
          file: 'mimikatz.exe',
          sha1: '',
          created_at: '2020-09-06T12:15:00Z',
        },
      ],
      ips: ['203.0.113.9'],
      urls: ['https://evil.example/x'],
      other: { MailBox: 1 },
    });
  });

  it('bounds a huge incident and says so', () => {
    const many: XdrIncident = {
      incidentId: 1,
      alerts: Array.from({ length: 70 }, (_, i) => ({
        alertId: `a${i}`,
        entities: Array.from({ length: 5 }, (_, j) => ({ entityType: 'Ip', ipAddress: `10.0.${i}.${j}` })),
      })),
    };
    const s = incidentSummary(many);
    expect(s.alerts).toHaveLength(50);
    expect(s.entities.ips).toHaveLength(MAX_INCIDENT_ENTITIES);
    expect(s.truncated).toBe(true);
    expect(s.url).toBe('');
  });
});

describe('incidentUpdateBody', () => {
  it('maps the playbook spellings to the API values, keeping existing tags', () => {
    expect(
      incidentUpdateBody(
        {
          status: 'resolved',
          classification: 'true_positive',
          determination: 'malware',
          assigned_to: ' soc@example.com ',
          tags: ['nightshift', 'contained'],
          comment: 'done',
        },
        ['from-portal', 'nightshift'],
      ),
    ).toEqual({
      status: 'Resolved',
      classification: 'TruePositive',
      determination: 'Malware',
      assignedTo: 'soc@example.com',
      tags: ['from-portal', 'nightshift', 'contained'],
      comment: 'done',
    });
    expect(incidentUpdateBody({ classification: 'false_positive', determination: 'not_malicious' })).toEqual({
      classification: 'FalsePositive',
      determination: 'Clean',
    });
  });

  it('names what is wrong', () => {
    expect(() => incidentUpdateBody({ status: 'closed' })).toThrow(
      new IncidentParamError('status must be one of active, in_progress, resolved (got "closed")'),
    );
    expect(() => incidentUpdateBody({ determination: 'malware' })).toThrow(/needs a classification/);
    expect(() => incidentUpdateBody({ classification: 'false_positive', determination: 'malware' })).toThrow(
      /determination for FalsePositive must be one of not_malicious/,
    );
    expect(() => incidentUpdateBody({})).toThrow(/at least one of/);
    expect(() => checkIncidentId('12 OR 1=1')).toThrow(/must be a number/);
  });
});
