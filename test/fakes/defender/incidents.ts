// The fake's Defender XDR incidents (reference §8, §11.6; defender-xdr/api-update-incidents.md): an
// incident per `incidentId` of the fake's alerts, its alerts in the XDR shape (devices from the fake's
// machines, entities from the alerts' evidence; null keys omitted as real data does), GET one, a list
// with $top ≤ 100, and PATCH with the documented fields and enums.
import type { FakeAlert } from './fake-defender';
import type { FakeMachine } from './machines';
import { iso7 } from './machines';
import { parseFilter } from './odata';

export type Answer = { status: number; body?: unknown; error?: { code: string; message: string } };

export interface FakeIncident {
  incidentId: number;
  incidentName: string;
  status: string;
  severity: string;
  classification: string;
  determination: string;
  assignedTo: string | null;
  tags: string[];
  comments: Array<{ comment: string; createdBy: string; createdTime: string }>;
  createdMs: number;
  updatedMs: number;
  redirectIncidentId: number | null;
}

const DETERMINATIONS: Record<string, string[]> = {
  TruePositive: [
    'MultiStagedAttack',
    'MaliciousUserActivity',
    'CompromisedAccount',
    'Malware',
    'Phishing',
    'UnwantedSoftware',
    'Other',
  ],
  InformationalExpectedActivity: [
    'SecurityTesting',
    'LineOfBusinessApplication',
    'ConfirmedActivity',
    'Other',
  ],
  // The docs' value is Clean; the reference advises accepting NotMalicious too (§6.4).
  FalsePositive: ['Clean', 'NotMalicious', 'NoEnoughDataToValidate', 'Other'],
};

function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}

export class FakeIncidents {
  readonly byId = new Map<number, FakeIncident>();

  constructor(
    private readonly alerts: () => FakeAlert[],
    private readonly machines: () => Map<string, FakeMachine>,
    private readonly clientId: string,
  ) {}

  /** The incident of an id, created with defaults the first time an alert names it. */
  ensure(id: number, patch: Partial<FakeIncident> = {}): FakeIncident {
    let inc = this.byId.get(id);
    if (!inc) {
      const now = Date.now();
      const first = this.alerts().find((a) => Number(a.incidentId) === id);
      inc = {
        incidentId: id,
        incidentName: `${String(first?.title ?? 'Incident')} on one endpoint`,
        status: 'Active',
        severity: String(first?.severity ?? 'Medium'),
        classification: 'Unknown',
        determination: 'NotAvailable',
        assignedTo: null,
        tags: [],
        comments: [],
        createdMs: now,
        updatedMs: now,
        redirectIncidentId: null,
      };
      this.byId.set(id, inc);
    }
    Object.assign(inc, patch);
    return inc;
  }

  private known(id: number): boolean {
    return this.byId.has(id) || this.alerts().some((a) => Number(a.incidentId) === id);
  }

  private alertView(a: FakeAlert): Record<string, unknown> {
    const m = this.machines().get(String(a.machineId));
    const evidence = Array.isArray(a.evidence) ? (a.evidence as Array<Record<string, unknown>>) : [];
    return compact({
      alertId: a.id,
      providerAlertId: a.id,
      incidentId: a.incidentId,
      serviceSource: 'MicrosoftDefenderForEndpoint',
      creationTime: a.alertCreationTime,
      lastUpdatedTime: a.lastUpdateTime,
      resolvedTime: a.resolvedTime,
      firstActivity: a.firstEventTime,
      lastActivity: a.lastEventTime,
      title: a.title,
      description: a.description,
      category: a.category,
      status: a.status,
      severity: a.severity,
      classification: a.classification,
      determination: a.determination,
      detectionSource: a.detectionSource,
      detectorId: a.detectorId,
      threatFamilyName: a.threatFamilyName,
      mitreTechniques: a.mitreTechniques,
      devices: a.machineId
        ? [
            compact({
              mdatpDeviceId: a.machineId,
              deviceDnsName: m?.computerDnsName ?? a.computerDnsName,
              osPlatform: m?.osPlatform,
              healthStatus: m?.healthStatus ?? 'Active',
              riskScore: m?.riskScore ?? 'Low',
              rbacGroupName: m?.rbacGroupName,
              tags: m?.machineTags ?? [],
              onboardingStatus: m?.onboardingStatus ?? 'Onboarded',
            }),
          ]
        : [],
      entities: evidence.map((e) => compact({ ...e, deviceId: a.machineId })),
    });
  }

  view(inc: FakeIncident, baseUrl: string): Record<string, unknown> {
    return {
      '@odata.context': `${baseUrl}/api/$metadata#Incidents/$entity`,
      incidentId: inc.incidentId,
      incidentUri: `https://security.microsoft.com/incidents/${inc.incidentId}?tid=fake`,
      redirectIncidentId: inc.redirectIncidentId,
      incidentName: inc.incidentName,
      createdTime: iso7(inc.createdMs),
      lastUpdateTime: iso7(inc.updatedMs),
      assignedTo: inc.assignedTo,
      classification: inc.classification,
      determination: inc.determination,
      status: inc.status,
      severity: inc.severity,
      tags: inc.tags,
      comments: inc.comments,
      alerts: this.alerts()
        .filter((a) => Number(a.incidentId) === inc.incidentId)
        .map((a) => this.alertView(a)),
    };
  }

  get(idRaw: string, baseUrl: string): Answer {
    const id = Number(idRaw);
    if (!/^\d+$/.test(idRaw) || !this.known(id))
      return { status: 404, error: { code: 'NotFound', message: `Incident ${idRaw} was not found` } };
    return { status: 200, body: this.view(this.ensure(id), baseUrl) };
  }

  /** GET /api/incidents: $filter on lastUpdateTime/createdTime/status/assignedTo, $top ≤ 100, newest first. */
  list(url: URL, paging: (url: URL, max: number) => { top: number; skip: number }, baseUrl: string): Answer {
    for (const a of this.alerts())
      if (a.incidentId !== null && a.incidentId !== undefined) this.ensure(Number(a.incidentId));
    const views = [...this.byId.values()]
      .sort((a, b) => b.createdMs - a.createdMs)
      .map((i) => this.view(i, baseUrl));
    const filter = url.searchParams.get('$filter');
    const pred = filter
      ? parseFilter(filter, ['lastUpdateTime', 'createdTime', 'status', 'assignedTo'])
      : () => true;
    const { top, skip } = paging(url, 100);
    return {
      status: 200,
      body: {
        '@odata.context': `${baseUrl}/api/$metadata#Incidents`,
        value: views.filter(pred).slice(skip, skip + top),
      },
    };
  }

  /** PATCH /api/incidents/{id} (api-update-incidents.md): documented fields only, enums checked. */
  patch(idRaw: string, body: Record<string, unknown>, baseUrl: string): Answer {
    const id = Number(idRaw);
    if (!/^\d+$/.test(idRaw) || !this.known(id))
      return { status: 404, error: { code: 'NotFound', message: `Incident ${idRaw} was not found` } };
    const bad: Answer = {
      status: 400,
      error: { code: 'InvalidRequestBody', message: 'Request body is incorrect' },
    };
    const allowed = ['status', 'assignedTo', 'classification', 'determination', 'tags', 'comment'];
    for (const k of Object.keys(body)) if (!allowed.includes(k)) return bad;
    const inc = this.ensure(id);
    const status = body.status;
    if (
      status !== undefined &&
      !['Active', 'Resolved', 'InProgress', 'Redirected'].includes(status as string)
    )
      return bad;
    const cls = body.classification;
    if (cls !== undefined && !Object.keys(DETERMINATIONS).includes(cls as string)) return bad;
    const det = body.determination;
    if (det !== undefined) {
      const effective = (cls as string | undefined) ?? inc.classification;
      if (typeof det !== 'string' || !(DETERMINATIONS[effective] ?? []).includes(det)) return bad;
    }
    if (
      body.tags !== undefined &&
      (!Array.isArray(body.tags) || body.tags.some((t) => typeof t !== 'string'))
    )
      return bad;
    if (body.assignedTo !== undefined && typeof body.assignedTo !== 'string') return bad;
    if (body.comment !== undefined && typeof body.comment !== 'string') return bad;
    const now = Date.now();
    if (typeof status === 'string') inc.status = status;
    if (typeof cls === 'string') inc.classification = cls;
    if (typeof det === 'string') inc.determination = det;
    if (Array.isArray(body.tags)) inc.tags = body.tags as string[]; // PATCH replaces the list
    if (typeof body.assignedTo === 'string') inc.assignedTo = body.assignedTo;
    if (typeof body.comment === 'string' && body.comment) {
      inc.comments.push({ comment: body.comment, createdBy: this.clientId, createdTime: iso7(now) });
    }
    inc.updatedMs = now;
    return { status: 200, body: this.view(inc, baseUrl) };
  }
}
