// The normalized detection of spec §5, validated against the schema derived from core/detection.ts:
// every bad field is named by its JSON path.
// Required is only what a playbook cannot do without: `id` (de-duplication, grouping), `title` (what
// every person is shown), `severity` and `status` (what playbooks decide on: a guessed default could
// isolate or skip a machine). `detected_at` defaults to the time of receipt (extension).
import type { z } from 'zod';
import type { Detection } from '../../core/detection';
import { detectionSchema } from '../detection-schema';

export { detectionSchema };

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
    // As validated: `defaulted` fields without a static default (a device's name, detected_at) may be absent.
    const d = r.data as Omit<Detection, 'detected_at' | 'devices'> & {
      detected_at?: string;
      devices: Array<Omit<Detection['devices'][number], 'name'> & { name?: string }>;
    };
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
