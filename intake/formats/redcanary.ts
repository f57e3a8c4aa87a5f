// A Red Canary detection as its REST API v3 returns it (JSON:API envelope: type/id/attributes/
// relationships, with top-level hostname/username). Red Canary publishes a detection only after an
// analyst confirmed it, so it arrives `confirmed`.
import { z } from 'zod';
import type { Detection, Severity } from '../../core/detection';
import { fieldErrors, type FieldError, type ParseOptions } from './generic';

const s = (max = 2000) => z.string().max(max);

export const redCanarySchema = z.object({
  type: z.literal('Detection'),
  id: z.union([z.number().int(), s(64)]),
  attributes: z.object({
    headline: s().min(1),
    summary: s(20_000).optional(),
    severity: z.enum(['low', 'medium', 'high']),
    confirmed_at: z.iso.datetime({ offset: true }).optional(),
    time_of_occurrence: z.iso.datetime({ offset: true }).optional(),
    last_activity_seen_at: z.iso.datetime({ offset: true }).optional(),
    classification: z
      .object({
        superclassification: s(200).optional(),
        subclassification: z.array(s(200)).max(50).optional(),
      })
      .optional(),
    /** Extension: the endpoint's Defender machine id, when the MDR knows it (Red Canary's MDE integration). */
    mde_machine_id: s(64).optional(),
    /**
     * Extension: the Defender XDR incident and MDE alerts the MDR's detection came from (Red Canary's MDE
     * integration), so `group_by: incident` joins it with the Defender alerts of that incident and
     * alert sync closes them.
     */
    mde_incident_id: z.union([z.number().int().nonnegative(), s(64).regex(/^\d{1,19}$/)]).optional(),
    mde_alert_ids: z.array(s(256)).max(500).optional(),
  }),
  hostname: s(255).optional(),
  username: s(300).optional(),
  relationships: z
    .object({
      affected_endpoint: z.object({ data: z.object({ id: z.union([z.number(), s(64)]) }) }).optional(),
    })
    .optional(),
  links: z.object({ self: z.object({ href: s() }).optional() }).optional(),
});

export function isRedCanary(body: unknown): boolean {
  const b = body as { type?: unknown; attributes?: unknown; data?: { type?: unknown } } | null;
  return !!b && typeof b === 'object' && (b.type === 'Detection' || b.data?.type === 'Detection');
}

export function parseRedCanary(
  body: unknown,
  opts: ParseOptions = {},
): { detection?: Detection; errors: FieldError[] } {
  // Accept the bare resource or the API's {data: …} envelope; errors name the field as sent.
  const enveloped = (body as { data?: unknown }).data !== undefined;
  const inner = enveloped ? (body as { data: unknown }).data : body;
  const r = redCanarySchema.safeParse(inner);
  if (!r.success) return { errors: fieldErrors(r.error.issues, enveloped ? ['data'] : []) };
  const d = r.data;
  const a = d.attributes;
  const endpoint = d.relationships?.affected_endpoint?.data.id;
  const host = d.hostname ?? (endpoint !== undefined ? `endpoint-${endpoint}` : undefined);
  const [domain, name] = d.username?.includes('\\') ? d.username.split('\\', 2) : [undefined, d.username];
  return {
    errors: [],
    detection: {
      id: `redcanary-${d.id}`,
      source: 'redcanary',
      title: a.headline,
      severity: a.severity as Severity,
      status: 'confirmed',
      category: a.classification?.superclassification,
      mitre: [],
      ...(a.mde_incident_id !== undefined ? { incident_id: String(a.mde_incident_id) } : {}),
      alert_ids: a.mde_alert_ids ?? [],
      detected_at:
        a.time_of_occurrence ??
        a.confirmed_at ??
        a.last_activity_seen_at ??
        (opts.now ?? new Date()).toISOString(),
      url: d.links?.self?.href,
      devices: host
        ? [
            {
              // Defender steps need Defender's machine id; without it the host name stands in and a
              // Defender step fails with Defender's "machine not found" rather than acting on a guess.
              id: a.mde_machine_id ?? host,
              name: host,
              tags: [],
            },
          ]
        : [],
      users: name ? [{ name, ...(domain ? { domain } : {}) }] : [],
      evidence: { files: [], processes: [], ips: [], urls: [] },
    },
  };
}
