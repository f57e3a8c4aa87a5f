// The fields of a Defender for Endpoint alert that Nightshift reads (reference §6.2, example §11.1), as
// one zod schema: the HTTP intake checks a posted alert with it (a wrong type is a 400 naming the
// field), and the alert types of the client are derived from it. Fields Nightshift does not read are
// kept unchecked (Defender adds fields over time; an unknown one must not refuse a real alert).
import { z } from 'zod';

const text = (max = 2_000) => z.string().max(max).nullable().optional();
const time = z.iso.datetime({ offset: true }).nullable().optional();

/** A string from a fixed set, compared case-insensitively as Defender's enums are documented. */
function oneOf(values: readonly string[]) {
  const lower = values.map((v) => v.toLowerCase());
  return z
    .string()
    .max(64)
    .refine((v) => lower.includes(v.toLowerCase()), { message: `expected one of ${values.join(', ')}` })
    .nullable()
    .optional();
}

export const ALERT_SEVERITIES = ['UnSpecified', 'Informational', 'Low', 'Medium', 'High'] as const;
export const ALERT_STATUSES = ['Unknown', 'New', 'InProgress', 'Resolved'] as const;
export const ALERT_CLASSIFICATIONS = [
  'Unknown',
  'TruePositive',
  'InformationalExpectedActivity',
  'FalsePositive',
] as const;

export const alertEvidenceSchema = z.looseObject({
  entityType: text(100),
  sha1: text(64),
  sha256: text(64),
  fileName: text(300),
  filePath: text(),
  processId: z.number().int().nullable().optional(),
  processCommandLine: text(20_000),
  ipAddress: text(100),
  url: text(),
  accountName: text(300),
  domainName: text(300),
  userPrincipalName: text(300),
});

export const defenderAlertSchema = z.looseObject({
  id: z.string().min(1).max(200),
  title: text(),
  description: text(20_000),
  /** A long in the API; some integrations send it as a string. */
  incidentId: z
    .union([z.number().int().nonnegative(), z.string().min(1).max(100)])
    .nullable()
    .optional(),
  severity: oneOf(ALERT_SEVERITIES),
  status: oneOf(ALERT_STATUSES),
  classification: oneOf(ALERT_CLASSIFICATIONS),
  determination: text(200),
  category: text(200),
  detectionSource: text(200),
  threatFamilyName: text(300),
  alertCreationTime: time,
  firstEventTime: time,
  lastEventTime: time,
  lastUpdateTime: time,
  resolvedTime: time,
  machineId: text(100),
  computerDnsName: text(300),
  mitreTechniques: z.array(z.string().max(64)).max(500).nullable().optional(),
  relatedUser: z
    .looseObject({ userName: text(300), domainName: text(300) })
    .nullable()
    .optional(),
  evidence: z.array(alertEvidenceSchema).max(5_000).nullable().optional(),
});

export type AlertEvidence = z.infer<typeof alertEvidenceSchema>;
export type DefenderAlert = z.infer<typeof defenderAlertSchema>;
