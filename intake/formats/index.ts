// Every detection format POST /v1/detections accepts, recognised by shape (or forced with ?format=):
//   generic   — the normalized detection of spec §5;
//   defender  — a Microsoft Defender for Endpoint alert as GET /api/alerts/{id}?$expand=evidence returns it;
//   redcanary — a Red Canary detection as its API v3 returns it.
import type { Detection } from '../../core/detection';
import { normalizeAlert } from '../../integrations/defender/alerts';
import { defenderAlertSchema } from '../../integrations/defender/alert-schema';
import { fieldErrors, parseDetection, type FieldError, type ParseOptions } from './generic';
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

/** A Defender alert: its schema first (a wrong type is named), then the normalizer the poller uses. */
function parseDefender(body: unknown, opts: ParseOptions): { detection?: Detection; errors: FieldError[] } {
  const r = defenderAlertSchema.safeParse(body);
  if (!r.success) return { errors: fieldErrors(r.error.issues) };
  const d = normalizeAlert(r.data);
  // Through the generic schema too, so the normalized result obeys the same bounds; an alert with no
  // time at all was detected when it arrived.
  return parseDetection({ ...d, detected_at: d.detected_at || undefined }, opts);
}

export function parseAnyDetection(
  body: unknown,
  format?: DetectionFormat,
  opts: ParseOptions = {},
): { format: DetectionFormat; detection?: Detection; errors: FieldError[] } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return { format: format ?? 'generic', errors: [{ path: '(root)', message: 'expected a JSON object' }] };
  }
  const f = format ?? guessFormat(body);
  const r =
    f === 'redcanary'
      ? parseRedCanary(body, opts)
      : f === 'defender'
        ? parseDefender(body, opts)
        : parseDetection(body, opts);
  return { format: f, ...r };
}
