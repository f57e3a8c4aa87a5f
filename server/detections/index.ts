// Every detection format POST /v1/detections accepts, recognised by shape (or forced with ?format=):
//   generic   — the normalized detection of spec §5;
//   defender  — a Microsoft Defender for Endpoint alert as GET /api/alerts/{id}?$expand=evidence returns it;
//   redcanary — a Red Canary detection as its API v3 returns it.
import type { Detection } from '../../compiler/ir';
import { normalizeAlert } from '../../activities/defender';
import type { DefenderAlert } from '../../activities/defender/client';
import { parseDetection, type FieldError } from './generic';
import { isRedCanary, parseRedCanary } from './redcanary';

export type DetectionFormat = 'generic' | 'defender' | 'redcanary';
export const DETECTION_FORMATS: readonly DetectionFormat[] = ['generic', 'defender', 'redcanary'];

export function guessFormat(body: unknown): DetectionFormat {
  if (isRedCanary(body)) return 'redcanary';
  const b = body as Record<string, unknown> | null;
  if (
    b &&
    typeof b === 'object' &&
    ('alertCreationTime' in b || 'detectionSource' in b || 'machineId' in b)
  ) {
    return 'defender';
  }
  return 'generic';
}

function parseDefender(body: unknown): { detection?: Detection; errors: FieldError[] } {
  const a = body as Partial<DefenderAlert> & Record<string, unknown>;
  const errors: FieldError[] = [];
  if (typeof a.id !== 'string' || a.id === '')
    errors.push({ path: 'id', message: 'a Defender alert needs its id (string)' });
  if (typeof a.title !== 'string') errors.push({ path: 'title', message: 'expected a string' });
  if (a.machineId !== undefined && a.machineId !== null && typeof a.machineId !== 'string') {
    errors.push({ path: 'machineId', message: 'expected a string' });
  }
  if (a.evidence !== undefined && !Array.isArray(a.evidence))
    errors.push({ path: 'evidence', message: 'expected an array' });
  if (errors.length) return { errors };
  try {
    // Through the generic schema too, so the normalized result obeys the same bounds.
    return parseDetection(normalizeAlert(a as DefenderAlert));
  } catch (err) {
    return { errors: [{ path: '(root)', message: (err as Error).message }] };
  }
}

export function parseAnyDetection(
  body: unknown,
  format?: DetectionFormat,
): { format: DetectionFormat; detection?: Detection; errors: FieldError[] } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return { format: format ?? 'generic', errors: [{ path: '(root)', message: 'expected a JSON object' }] };
  }
  const f = format ?? guessFormat(body);
  const r =
    f === 'redcanary' ? parseRedCanary(body) : f === 'defender' ? parseDefender(body) : parseDetection(body);
  return { format: f, ...r };
}
