// Which playbooks a detection starts, and the run each belongs to: `on.detection.when` evaluated on the
// detection, and the group key of `group_by` (one run per playbook × key; `device` splits a detection).
import type { Detection } from '../core/detection';
import type { OrgIR, PlaybookIR } from '../core/ir';
import { createEvaluator } from '../engine/expr/runtime';

/** Workflow ids are bounded (the server's limit.maxIDLength); long keys are cut and hashed. */
export function workflowId(playbook: string, groupBy: string, key: string): string {
  const safe = key.length <= 160 ? key : `${key.slice(0, 120)}~${fnv1a(key)}`;
  return `nightshift/${playbook}/${groupBy}/${safe}`;
}

function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16);
}

/** The run keys of a detection for a playbook's group_by. `device` splits it: one run per device. */
export function groupKeys(pb: PlaybookIR, d: Detection): Array<{ key: string; detection: Detection }> {
  switch (pb.on.groupBy) {
    case 'incident':
      // A detection without an incident is its own incident.
      return [{ key: d.incident_id ? d.incident_id : `detection:${d.id}`, detection: d }];
    case 'device':
      if (d.devices.length === 0) return [{ key: `detection:${d.id}`, detection: d }];
      return d.devices.map((dev) => ({ key: dev.id, detection: { ...d, devices: [dev] } }));
    default:
      return [{ key: d.id, detection: d }];
  }
}

export function matches(pb: PlaybookIR, org: OrgIR, d: Detection, now: Date): boolean {
  if (!pb.enabled) return false;
  return createEvaluator(org).bool(pb.on.when, {
    detection: d,
    device: d.devices[0],
    steps: {},
    playbook: { name: pb.name, version: pb.version, hash: pb.hash },
    now,
  });
}
