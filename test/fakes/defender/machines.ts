// The fake's machines (reference §7, §11.2, §15.8, §15.10 items 10-12): entities with the observed extra
// fields, OData lists, lookup by id or computer name, findbyip with its ±15 min window and 30-day bound,
// and the device model live response scripts act on (processes, files, online).
import { ODataError, parseFilter } from './odata';

export interface FakeMachine {
  id: string;
  computerDnsName: string;
  osPlatform: string;
  healthStatus?: string;
  onboardingStatus?: string;
  mergedIntoMachineId?: string | null;
  isPotentialDuplication?: boolean;
  machineTags?: string[];
  rbacGroupName?: string | null;
  rbacGroupId?: number;
  riskScore?: string;
  exposureLevel?: string;
  deviceValue?: string;
  version?: string;
  lastSeenMs?: number;
  firstSeenMs?: number;
  lastIpAddress?: string;
  aadDeviceId?: string | null;
  /** Internal IPs the device had, and when (findbyip). Default: lastIpAddress, seen now. */
  ipSeen?: Array<{ ip: string; atMs: number }>;
  /** Live response: whether the device is connected (an offline device queues actions, §15.2). */
  online?: boolean;
  /** Live response device model: running processes (id → image name) and files (path → SHA-256). */
  processes?: Map<number, string>;
  files?: Map<string, string>;
}

export const MACHINE_FILTER_FIELDS = [
  'computerDnsName',
  'id',
  'version',
  'deviceValue',
  'aadDeviceId',
  'machineTags',
  'lastSeen',
  'exposureLevel',
  'onboardingStatus',
  'lastIpAddress',
  'healthStatus',
  'osPlatform',
  'riskScore',
  'rbacGroupId',
];

const FIFTEEN_MIN = 15 * 60_000;
const THIRTY_DAYS = 30 * 24 * 3_600_000;

/** ISO with 7 fractional digits, as Defender writes them. */
export function iso7(ms: number, sub = 0): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.(\d{3})Z$/, (_, f: string) => `.${f}${String(sub).padStart(4, '0')}Z`);
}

/** The Machine entity (reference §11.2's recorded response, with the observed extra fields). */
export function machineEntity(m: FakeMachine, now = Date.now()): Record<string, unknown> {
  return {
    id: m.id,
    mergedIntoMachineId: m.mergedIntoMachineId ?? null,
    isPotentialDuplication: m.isPotentialDuplication ?? false,
    isExcluded: false,
    exclusionReason: null,
    computerDnsName: m.computerDnsName,
    firstSeen: iso7(m.firstSeenMs ?? now - 30 * 86_400_000),
    lastSeen: iso7(m.lastSeenMs ?? now),
    osPlatform: m.osPlatform,
    osVersion: null,
    osProcessor: 'x64',
    version: m.version ?? '22H2',
    lastIpAddress: m.lastIpAddress ?? '10.0.0.10',
    lastExternalIpAddress: '203.0.113.10',
    agentVersion: '10.8760.22621.1',
    osBuild: 22621,
    healthStatus: m.healthStatus ?? 'Active',
    deviceValue: m.deviceValue ?? 'Normal',
    rbacGroupId: m.rbacGroupId ?? 0,
    rbacGroupName: m.rbacGroupName ?? null,
    riskScore: m.riskScore ?? 'Low',
    exposureLevel: m.exposureLevel ?? 'Low',
    isAadJoined: true,
    aadDeviceId: m.aadDeviceId ?? null,
    machineTags: m.machineTags ?? [],
    defenderAvStatus: 'Updated',
    onboardingStatus: m.onboardingStatus ?? 'Onboarded',
    osArchitecture: '64-bit',
    managedBy: 'Intune',
    managedByStatus: 'Unknown',
    ipAddresses: [
      {
        ipAddress: m.lastIpAddress ?? '10.0.0.10',
        macAddress: '000C2992A64D',
        type: 'Ethernet',
        operationalStatus: 'Up',
      },
    ],
    vmMetadata: null,
  };
}

export interface MachineListAnswer {
  status: number;
  body?: unknown;
  error?: { code: string; message: string };
}

export class FakeMachines {
  readonly byId = new Map<string, FakeMachine>();
  /** reference §15.8: "If there are no recent machines, you see 404" — the knob for that answer. */
  noMatch404 = false;

  constructor(private readonly baseUrl: () => string) {}

  add(m: FakeMachine): FakeMachine {
    this.byId.set(m.id, m);
    return m;
  }

  get(id: string): FakeMachine | undefined {
    return this.byId.get(id) ?? this.byId.get(id.toLowerCase());
  }

  /** GET /api/machines with $filter, $top ≤ 10,000, $skip; no nextLink (reference §3.3). */
  list(url: URL, paging: (url: URL, max: number) => { top: number; skip: number }): MachineListAnswer {
    const now = Date.now();
    const views = [...this.byId.values()].map((m) => machineEntity(m, now));
    const filter = url.searchParams.get('$filter');
    const pred = filter ? parseFilter(filter, MACHINE_FILTER_FIELDS) : () => true;
    const { top, skip } = paging(url, 10_000);
    const value = views.filter(pred).slice(skip, skip + top);
    if (value.length === 0 && this.noMatch404) {
      return { status: 404, error: { code: 'ResourceNotFound', message: 'No machines found' } };
    }
    return { status: 200, body: { '@odata.context': `${this.baseUrl()}/api/$metadata#Machines`, value } };
  }

  /** GET /api/machines/{id}: "by its device ID or computer name" (reference §15.8). */
  getOne(idOrName: string): MachineListAnswer {
    const m =
      this.get(idOrName) ??
      [...this.byId.values()].find((x) => x.computerDnsName.toLowerCase() === idOrName.toLowerCase());
    if (!m)
      return {
        status: 404,
        error: { code: 'ResourceNotFound', message: `Machine ${idOrName} was not found` },
      };
    return {
      status: 200,
      body: { '@odata.context': `${this.baseUrl()}/api/$metadata#Machines/$entity`, ...machineEntity(m) },
    };
  }

  /** GET /api/machines/findbyip(ip='…',timestamp=…): devices with that internal IP within ±15 min. */
  findByIp(args: string): MachineListAnswer {
    const m = /^ip='([^']*)',timestamp=([0-9T:.\-Z]+)$/.exec(args);
    if (!m) throw new ODataError(`bad findbyip arguments ${args}`);
    const at = Date.parse(m[2]);
    if (Number.isNaN(at)) throw new ODataError(`bad timestamp ${m[2]}`);
    if (Date.now() - at > THIRTY_DAYS) {
      return {
        status: 400,
        error: { code: 'InvalidInput', message: 'Timestamp must be within the last 30 days' },
      };
    }
    const now = Date.now();
    const value = [...this.byId.values()]
      .filter((x) =>
        (x.ipSeen ?? (x.lastIpAddress ? [{ ip: x.lastIpAddress, atMs: x.lastSeenMs ?? now }] : [])).some(
          (s) => s.ip === m[1] && Math.abs(s.atMs - at) <= FIFTEEN_MIN,
        ),
      )
      .map((x) => machineEntity(x, now));
    return { status: 200, body: { '@odata.context': `${this.baseUrl()}/api/$metadata#Machines`, value } };
  }
}
