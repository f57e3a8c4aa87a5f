// Every idempotency key the interpreter derives, in one place. A key names one effect of one run: it
// is the same on every activity retry and every replay, so the activity behind it acts once (posts one
// message, isolates once). These formats are recorded in running workflows' histories and in effects
// already made (Slack message metadata, email Message-IDs, Defender comments): they must never change.
// Approval and page ids themselves are core/messages.ts interactionId(): `<workflowId>|<stepId>|<n>`.
import type { Via } from '../core/channels';
import type { Device } from '../core/detection';

/** What a step acts on: a device (per-device steps), a for_each item, or the step once. */
export interface Element {
  device?: Device;
  item?: unknown;
}

/** A notification to one recipient: `<workflowId>/<stepId>[/<device>|/<item JSON>]/<recipient>`. */
export function notifyKey(workflowId: string, stepId: string, el: Element, recipient: string): string {
  const suffix = el.device ? `/${el.device.id}` : el.item !== undefined ? `/${JSON.stringify(el.item)}` : '';
  return `${workflowId}/${stepId}${suffix}/${recipient}`;
}

/** An approval asked of a recipient: `<approvalId>/<recipient>`, or per way for a person with `via`. */
export function approvalAskKey(approvalId: string, recipient: string, via?: Via): string {
  return via ? `${approvalId}/${recipient}/${via}` : `${approvalId}/${recipient}`;
}

/** An escalation stage's ask of a person: `<approvalId>/stage<k>/<person>[/<via>]` (k >= 1). */
export function approvalStageAskKey(approvalId: string, stage: number, person: string, via?: Via): string {
  return `${approvalId}/stage${stage}/${person}${via ? `/${via}` : ''}`;
}

/** Showing an approval's decision on every message: `<approvalId>/resolved`. */
export function approvalResolvedKey(approvalId: string): string {
  return `${approvalId}/resolved`;
}

/** A page of one person one way, in escalation round `round` (0 first, 1 escalated). */
export function pageKey(pageId: string, round: number, personId: string, via: Via): string {
  return `${pageId}/${round}/${personId}/${via}`;
}

/** A webhook call of element `n`: `<workflowId>/<stepId>/<n>`. */
export function webhookKey(workflowId: string, stepId: string, n: number): string {
  return `${workflowId}/${stepId}/${n}`;
}

/**
 * A Defender request of element `n` (and its blast-radius reservation):
 * `<workflowId>/<stepId>/<n>[/<machineId>]`.
 */
export function defenderKey(workflowId: string, stepId: string, n: number, device?: Device): string {
  return `${workflowId}/${stepId}/${n}${device ? `/${device.id}` : ''}`;
}

/** A machine lookup of a device, once per run: `<workflowId>/lookup/<device id>`. */
export function lookupKey(workflowId: string, device: Device): string {
  return `${workflowId}/lookup/${device.id}`;
}

/** Reading an incident, once per run: `<workflowId>/incident/<incident id>`. */
export function incidentReadKey(workflowId: string, incidentId: string): string {
  return `${workflowId}/incident/${incidentId}`;
}

/** The alert sync at the end of a run: `<workflowId>/alert-sync`. */
export function alertSyncKey(workflowId: string): string {
  return `${workflowId}/alert-sync`;
}
