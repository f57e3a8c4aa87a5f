// The normalized detection of spec §5, validated: every bad field is named by its JSON path.
// Required is only what a playbook cannot do without: `id` (de-duplication, grouping), `title` (what
// every person is shown), `severity` and `status` (what playbooks decide on: a guessed default could
// isolate or skip a machine). `detected_at` defaults to the time of receipt (extension).
import { z } from 'zod';
import type { Detection } from '../../core/detection';

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
  detected_at: z.iso.datetime({ offset: true }).optional(),
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
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(root)';
}

/** zod issues as field errors; `prefix`: where the validated value sits in the request body. */
export function fieldErrors(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): FieldError[] {
  return issues.map((i) => ({ path: formatPath([...prefix, ...i.path]), message: i.message }));
}

export interface ParseOptions {
  /** The time of receipt: the default of `detected_at`. */
  now?: Date;
}

export function parseDetection(
  input: unknown,
  opts: ParseOptions = {},
): { detection?: Detection; errors: FieldError[] } {
  const r = detectionSchema.safeParse(input);
  if (r.success) {
    const d = r.data;
    return {
      detection: {
        ...d,
        detected_at: d.detected_at ?? (opts.now ?? new Date()).toISOString(),
        devices: d.devices.map((x) => ({ ...x, name: x.name ?? x.id })),
      } as Detection,
      errors: [],
    };
  }
  return { errors: fieldErrors(r.error.issues) };
}
