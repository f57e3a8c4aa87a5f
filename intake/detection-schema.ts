// The zod schema of a posted detection, derived from the field table of core/detection.ts (and from
// it, the OpenAPI schema of POST /v1/detections). Strict: a key the table does not name is refused.
import { z } from 'zod';
import { DETECTION, type Field, type ObjectField } from '../core/detection';

function fieldSchema(f: Field): z.ZodType {
  let s: z.ZodType;
  switch (f.kind) {
    case 'string': {
      let str = z.string().max(f.max);
      if (f.min !== undefined) str = str.min(f.min);
      s = str;
      break;
    }
    case 'enum':
      s = z.enum(f.values as [string, ...string[]]);
      break;
    case 'timestamp':
      s = z.iso.datetime({ offset: true });
      break;
    case 'list':
      s = z.array(fieldSchema(f.of)).max(f.max);
      break;
    case 'map': {
      const limit = f.depth;
      s = z.record(z.string(), z.unknown()).superRefine((v, ctx) => {
        if (nestedDeeperThan(v, limit))
          ctx.addIssue({ code: 'custom', message: `nested deeper than ${limit} levels` });
      });
      break;
    }
    case 'object':
      s = objectSchema(f);
      break;
  }
  if (f.presence === 'optional') return s.optional();
  if (f.presence === 'defaulted') {
    // Lists and objects default to their empty value; enums to their default; the rest (a device's
    // name, detected_at) are filled in by intake after validation.
    if (f.kind === 'list') return s.default([]);
    if (f.kind === 'object') return s.default(defaultOf(f) as never);
    if (f.kind === 'enum' && f.default !== undefined) return s.default(f.default as never);
    return s.optional();
  }
  return s;
}

/** Whether objects and arrays nest more than `limit` levels, `root` being the first (iterative: no
 *  input is too deep for it). */
export function nestedDeeperThan(root: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length) {
    const [v, level] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (level > limit) return true;
    for (const child of Object.values(v)) stack.push([child, level + 1]);
  }
  return false;
}

function defaultOf(f: ObjectField): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, field] of Object.entries(f.fields)) if (field.kind === 'list') out[k] = [];
  return out;
}

function objectSchema(f: ObjectField): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const [k, field] of Object.entries(f.fields)) shape[k] = fieldSchema(field);
  return z.strictObject(shape);
}

/** The normalized detection of spec §5 as posted (before intake fills in defaults). */
export const detectionSchema = objectSchema(DETECTION);
