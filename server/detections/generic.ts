// The normalized detection of spec §5, validated: every bad field is named by its JSON path.
import { z } from 'zod';
import type { Detection } from '../../compiler/ir';

const MAX = { id: 256, text: 2000, list: 500, devices: 1000 };
const str = (max = MAX.text) => z.string().max(max);

const device = z.strictObject({
  id: str(MAX.id).min(1),
  name: str(MAX.id).optional(),
  os: str(MAX.id).optional(),
  tags: z.array(str(MAX.id)).max(MAX.list).default([]),
  ip: str(MAX.id).optional(),
});

export const detectionSchema = z.strictObject({
  id: str(MAX.id).min(1),
  source: z.enum(['defender', 'redcanary', 'generic']).default('generic'),
  title: str().min(1),
  severity: z.enum(['informational', 'low', 'medium', 'high', 'critical']),
  status: z.enum(['confirmed', 'suspected', 'false_positive', 'resolved']),
  category: str(MAX.id).optional(),
  mitre: z.array(str(64)).max(MAX.list).default([]),
  incident_id: str(MAX.id).optional(),
  alert_ids: z.array(str(MAX.id)).max(MAX.list).default([]),
  detected_at: z.iso.datetime({ offset: true }),
  url: str().optional(),
  devices: z.array(device).max(MAX.devices).default([]),
  users: z
    .array(z.strictObject({ name: str(MAX.id), domain: str(MAX.id).optional(), upn: str(MAX.id).optional() }))
    .max(MAX.list)
    .default([]),
  evidence: z
    .strictObject({
      files: z
        .array(
          z.strictObject({
            sha1: str(64).optional(),
            sha256: str(64).optional(),
            md5: str(64).optional(),
            path: str().optional(),
            name: str(MAX.id).optional(),
          }),
        )
        .max(MAX.list)
        .default([]),
      processes: z.array(z.record(z.string(), z.unknown())).max(MAX.list).default([]),
      ips: z.array(str(64)).max(MAX.list).default([]),
      urls: z.array(str()).max(MAX.list).default([]),
    })
    .default({ files: [], processes: [], ips: [], urls: [] }),
});

export interface FieldError {
  path: string;
  message: string;
}

/** `devices[0].id` style paths, as people read them. */
function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(root)';
}

export function parseDetection(input: unknown): { detection?: Detection; errors: FieldError[] } {
  const r = detectionSchema.safeParse(input);
  if (r.success) {
    const d = r.data;
    return {
      detection: { ...d, devices: d.devices.map((x) => ({ ...x, name: x.name ?? x.id })) } as Detection,
      errors: [],
    };
  }
  return { errors: r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })) };
}
