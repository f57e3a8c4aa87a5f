// Every detection format is checked by schema: a wrong type in any field of any format is refused
// naming that field (never an internal message, never a silent accept), and a generic detection
// without `detected_at` was detected when it arrived.
import { z } from 'zod';
import { defenderAlertSchema } from '../../integrations/defender/alert-schema';
import { parseAnyDetection, type DetectionFormat } from '../../intake/formats';
import { detectionSchema } from '../../intake/formats/generic';
import { redCanarySchema } from '../../intake/formats/redcanary';
import { groupKeys, workflowId } from '../../intake/match';
import type { PlaybookIR } from '../../core/ir';

// Complete samples: every field each schema knows, with a valid value.
const generic = {
  id: 'det-1',
  source: 'generic',
  title: 'Ransomware behavior detected',
  severity: 'high',
  status: 'confirmed',
  category: 'Ransomware',
  mitre: ['T1486'],
  incident_id: '4521',
  alert_ids: ['da1'],
  detected_at: '2026-11-22T03:01:07Z',
  url: 'https://portal.example/alerts/1',
  devices: [{ id: 'm1', name: 'wks-1', os: 'Windows11', tags: ['finance'], ip: '10.1.4.22' }],
  users: [{ name: 'jdoe', domain: 'CORP', upn: 'jdoe@corp.example' }],
  evidence: {
    files: [
      { sha1: 'a'.repeat(40), sha256: 'b'.repeat(64), md5: 'c'.repeat(32), path: 'C:\\x', name: 'x.exe' },
    ],
    processes: [{}],
    ips: ['10.0.0.1'],
    urls: ['https://evil.example'],
  },
};

// reference/defender-api.md §11.1, with every field Nightshift reads.
const defender = {
  id: 'da637472900382838869_1364969609',
  title: 'Low-reputation arbitrary code executed by signed executable',
  description: 'Binaries signed by Microsoft can be used to run low-reputation arbitrary code.',
  incidentId: 1126093,
  severity: 'Low',
  status: 'New',
  classification: 'TruePositive',
  determination: 'Malware',
  category: 'Execution',
  detectionSource: 'WindowsDefenderAtp',
  threatFamilyName: 'Emotet',
  alertCreationTime: '2021-01-26T20:33:57.7220239Z',
  firstEventTime: '2021-01-26T20:31:32.9562661Z',
  lastEventTime: '2021-01-26T20:31:33.0577322Z',
  lastUpdateTime: '2021-01-26T20:33:59.2Z',
  resolvedTime: '2021-01-27T20:33:59.2Z',
  machineId: '111e6dd8c833c8a052ea231ec1b19adaf497b625',
  computerDnsName: 'temp123.middleeast.corp.microsoft.com',
  mitreTechniques: ['T1064', 'T1085'],
  relatedUser: { userName: 'temp123', domainName: 'DOMAIN' },
  evidence: [
    {
      entityType: 'File',
      sha1: '8563f95b2f8a284fc99da44500cd51a77c1ff36c',
      sha256: 'dc0ade0c95d6db98882bc8fa6707e64353cd6f7767ff48d6a81a6c2aef21c608',
      fileName: 'suspicious.dll',
      filePath: 'c:\\temp',
      processId: 4242,
      processCommandLine: 'rundll32 suspicious.dll',
      ipAddress: '10.0.0.9',
      url: 'https://evil.example',
      accountName: 'temp123',
      domainName: 'DOMAIN',
      userPrincipalName: 'temp123@corp.example',
    },
  ],
};

const redcanary = {
  data: {
    type: 'Detection',
    id: 7,
    attributes: {
      headline: '[DEMO-7] Malicious Software (Trojan)',
      summary: 'A trojan ran.',
      severity: 'high',
      confirmed_at: '2026-11-22T03:01:07.000Z',
      time_of_occurrence: '2026-11-22T02:58:00.000Z',
      last_activity_seen_at: '2026-11-22T03:00:00.000Z',
      classification: { superclassification: 'Malicious Software', subclassification: ['Trojan'] },
      mde_machine_id: '111e6dd8c833c8a052ea231ec1b19adaf497b625',
      mde_incident_id: 1126093,
      mde_alert_ids: ['da638000000000000001_1000001'],
    },
    hostname: 'victim-llama',
    username: 'victim-llama\\rem',
    relationships: { affected_endpoint: { data: { id: 97 } } },
    links: { self: { href: 'https://acme.my.redcanary.co/openapi/v3/detections/7' } },
  },
};

const SAMPLES: Array<[DetectionFormat, Record<string, unknown>, z.ZodType]> = [
  ['generic', generic, detectionSchema],
  ['defender', defender, defenderAlertSchema],
  ['redcanary', redcanary.data, redCanarySchema],
];

/** Every key path a schema declares (objects recursed, arrays by their element). */
function schemaPaths(schema: z.ZodType, prefix = ''): string[] {
  let s = schema as z.ZodType & { def: Record<string, unknown> };
  // Unwrap optional/nullable/default/pipe wrappers.
  for (;;) {
    const def = s.def as { type: string; innerType?: z.ZodType; in?: z.ZodType; element?: z.ZodType };
    if (def.innerType) s = def.innerType as typeof s;
    else if (def.type === 'pipe' && def.in) s = def.in as typeof s;
    else break;
  }
  const def = s.def as { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType };
  if (def.type === 'object' && def.shape) {
    return Object.entries(def.shape).flatMap(([k, v]) => {
      const p = prefix ? `${prefix}.${k}` : k;
      return [p, ...schemaPaths(v, p)];
    });
  }
  if (def.type === 'array' && def.element) return schemaPaths(def.element, `${prefix}[0]`);
  return [];
}

/** Every leaf and inner node of a sample, with its `devices[0].id` path and value. */
function samplePaths(v: unknown, prefix = ''): Array<[string, Array<string | number>]> {
  const out: Array<[string, Array<string | number>]> = [];
  const walk = (x: unknown, path: Array<string | number>) => {
    if (path.length) out.push([fmt(path), path]);
    if (Array.isArray(x)) x.forEach((e, i) => walk(e, [...path, i]));
    else if (x && typeof x === 'object') for (const [k, e] of Object.entries(x)) walk(e, [...path, k]);
  };
  walk(v, prefix ? [prefix] : []);
  return out;
}

function fmt(path: Array<string | number>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

function withValue(body: unknown, path: Array<string | number>, value: unknown): unknown {
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let at = copy;
  for (const p of path.slice(0, -1)) at = at[p] as typeof at;
  at[path[path.length - 1]] = value;
  return copy;
}

/** A value of the wrong type for `v`: an object for scalars and lists, a number for objects. */
function wrongType(v: unknown): unknown {
  return v && typeof v === 'object' && !Array.isArray(v) ? 42 : { not: 'expected' };
}

describe.each(SAMPLES)('%s detections', (format, sample, schema) => {
  const body = format === 'redcanary' ? redcanary : sample;
  const paths = samplePaths(body);

  it('the sample holds every field of the schema (so the checks below cover them all)', () => {
    const have = new Set(samplePaths(sample).map(([p]) => p));
    const declared = schemaPaths(schema);
    expect(declared.length).toBeGreaterThan(10);
    expect(declared.filter((p) => !have.has(p))).toEqual([]);
  });

  it('accepts the complete sample', () => {
    const r = parseAnyDetection(body, format);
    expect(r.errors).toEqual([]);
    expect(r.detection).toBeDefined();
  });

  it.each(paths.map(([p, path]) => [p, path] as const))(
    'refuses a wrong type in %s, naming it',
    (p, path) => {
      const r = parseAnyDetection(withValue(body, path, wrongType(samplePathValue(body, path))), format);
      expect(r.detection).toBeUndefined();
      expect(r.errors.map((e) => e.path)).toContain(p);
    },
  );
});

function samplePathValue(body: unknown, path: Array<string | number>): unknown {
  let at = body as Record<string | number, unknown>;
  for (const p of path) at = at[p] as typeof at;
  return at;
}

describe('Defender alerts', () => {
  it('keep fields Nightshift does not read unchecked (Defender adds fields over time)', () => {
    const r = parseAnyDetection({ ...defender, comments: 'not a list', rbacGroupName: 7 }, 'defender');
    expect(r.errors).toEqual([]);
  });

  it('refuses a numeric severity and an object incidentId by name (issue 16)', () => {
    const r = parseAnyDetection({ ...defender, severity: 3, incidentId: { id: 1 } }, 'defender');
    expect(r.errors.map((e) => e.path).sort()).toEqual(['incidentId', 'severity']);
    expect(r.errors.map((e) => e.message).join(' ')).not.toMatch(/is not a function|TypeError/);
  });

  it('refuses an unknown severity, naming the values', () => {
    const r = parseAnyDetection({ ...defender, severity: 'Critical' }, 'defender');
    expect(r.errors).toEqual([
      { path: 'severity', message: 'expected one of UnSpecified, Informational, Low, Medium, High' },
    ]);
  });

  it('without any time, was detected when it arrived', () => {
    const now = new Date('2026-11-22T03:04:05.000Z');
    const bare = { id: 'da1', title: 'x', classification: 'TruePositive', machineId: 'm1' };
    expect(parseAnyDetection(bare, 'defender', { now }).detection?.detected_at).toBe(now.toISOString());
  });
});

describe('generic detections', () => {
  it('default detected_at to the time of receipt', () => {
    const now = new Date('2026-11-22T03:04:05.000Z');
    const { detected_at: _omitted, ...rest } = generic;
    const r = parseAnyDetection(rest, 'generic', { now });
    expect(r.detection?.detected_at).toBe(now.toISOString());
  });

  it('refuse an evidence process nested deeper than 16 levels, naming it (50,000 levels do not overflow)', () => {
    const nest = (n: number) =>
      JSON.parse('{"a":'.repeat(n) + '1' + '}'.repeat(n)) as Record<string, unknown>;
    const withProcess = (p: Record<string, unknown>) => ({
      ...generic,
      evidence: { ...generic.evidence, processes: [{ name: 'ok.exe' }, p] },
    });
    expect(parseAnyDetection(withProcess(nest(16)), 'generic').errors).toEqual([]);
    for (const n of [17, 50_000]) {
      const r = parseAnyDetection(withProcess(nest(n)), 'generic');
      expect(r.detection).toBeUndefined();
      expect(r.errors).toEqual([{ path: 'evidence.processes[1]', message: 'nested deeper than 16 levels' }]);
    }
  });

  it.each(['id', 'title', 'severity', 'status'])('still require %s', (field) => {
    const r = parseAnyDetection({ ...generic, [field]: undefined }, 'generic');
    expect(r.errors.map((e) => e.path)).toEqual([field]);
  });
});

describe('group_by: incident across sources (issue 15 §6)', () => {
  it('joins a Red Canary detection and the Defender alert of the same MDE incident in one run', () => {
    const pb = { name: 'contain', on: { groupBy: 'incident' } } as PlaybookIR;
    const fromDefender = parseAnyDetection(defender, 'defender').detection!;
    const fromRedCanary = parseAnyDetection(redcanary, 'redcanary').detection!;
    expect(fromRedCanary).toMatchObject({
      source: 'redcanary',
      incident_id: '1126093',
      alert_ids: ['da638000000000000001_1000001'],
    });
    const run = (d: typeof fromDefender) =>
      groupKeys(pb, d).map((k) => workflowId(pb.name, 'incident', k.key));
    expect(run(fromRedCanary)).toEqual(run(fromDefender));
    // Without the extension a Red Canary detection is its own incident.
    const { mde_incident_id: _omit, ...attributes } = redcanary.data.attributes;
    const alone = parseAnyDetection({ ...redcanary.data, attributes }, 'redcanary').detection!;
    expect(run(alone)).not.toEqual(run(fromDefender));
  });

  it('refuses an MDE incident id that is not a number, naming the field', () => {
    const bad = {
      ...redcanary.data,
      attributes: { ...redcanary.data.attributes, mde_incident_id: '12; drop' },
    };
    expect(parseAnyDetection(bad, 'redcanary').errors.map((e) => e.path)).toEqual([
      'attributes.mde_incident_id',
    ]);
  });
});
