// Typed search attributes of playbook runs: find runs by detection, incident, device, playbook, or
// those waiting for a human. Registered idempotently at start-up (platform/temporal/search-attributes.ts).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA_PLAYBOOK = defineSearchAttributeKey('NightshiftPlaybook', SearchAttributeType.KEYWORD);
export const SA_DETECTION_IDS = defineSearchAttributeKey(
  'NightshiftDetectionIds',
  SearchAttributeType.KEYWORD_LIST,
);
export const SA_INCIDENT_ID = defineSearchAttributeKey('NightshiftIncidentId', SearchAttributeType.KEYWORD);
export const SA_DEVICE_IDS = defineSearchAttributeKey(
  'NightshiftDeviceIds',
  SearchAttributeType.KEYWORD_LIST,
);
export const SA_WAITING_FOR_APPROVAL = defineSearchAttributeKey(
  'NightshiftWaitingForApproval',
  SearchAttributeType.BOOL,
);
/**
 * Codes of pending approvals and pages, so an SMS reply "YES 4821" finds its run; and (runs started
 * after the `answered-codes-attribute` patch) codes already answered, as `answered:4821`, so a late
 * answer finds the run and is told who answered first. One attribute for both: SQL visibility allows
 * only three keyword lists per namespace.
 */
export const SA_PENDING_CODES = defineSearchAttributeKey(
  'NightshiftPendingCodes',
  SearchAttributeType.KEYWORD_LIST,
);

/** How an answered code is listed in NightshiftPendingCodes. */
export function answeredCode(code: string): string {
  return `answered:${code}`;
}

/** `completed` or `failed` once the run has finished (a failed step fails the run, not the workflow). */
export const SA_OUTCOME = defineSearchAttributeKey('NightshiftOutcome', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [
  SA_OUTCOME,
  SA_PLAYBOOK,
  SA_DETECTION_IDS,
  SA_INCIDENT_ID,
  SA_DEVICE_IDS,
  SA_WAITING_FOR_APPROVAL,
  SA_PENDING_CODES,
];
