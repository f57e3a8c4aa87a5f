// Who a notify, approval or page reaches: channels of nightshift.yaml and people, groups expanded into
// their people, rotations to whoever is on call, each once, in the order written.
import type { Recipient } from '../core/effects';
import type { OrgIR, Target } from '../core/ir';

export interface ResolvedRecipient {
  /** The channel or person id: part of the idempotency key of the delivery. */
  key: string;
  to: Recipient;
}

/** `onCall` gives the person on call in a rotation now (rotations are resolved when a message is sent). */
export function recipients(
  org: OrgIR,
  targets: Target[],
  onCall: (rotation: string) => string,
): ResolvedRecipient[] {
  const out: ResolvedRecipient[] = [];
  const seen = new Set<string>();
  const person = (id: string) => {
    const p = org.people[id];
    if (p && !seen.has(`person:${id}`)) {
      seen.add(`person:${id}`);
      out.push({ key: id, to: { type: 'person', person: p } });
    }
  };
  for (const t of targets) {
    if (t.type === 'channel') {
      const channel = org.channels[t.id];
      if (channel && !seen.has(`channel:${t.id}`)) {
        seen.add(`channel:${t.id}`);
        out.push({ key: t.id, to: { type: 'channel', id: t.id, channel } });
      }
    } else if (t.type === 'person') person(t.id);
    else if (t.type === 'rotation') person(onCall(t.id));
    else for (const id of org.groups[t.id] ?? []) person(id);
  }
  return out;
}
