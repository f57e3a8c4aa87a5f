// SMS replies: "YES 4821", "no 4821", "ACK 4821" (case-insensitive, spaces tolerated). A bare "YES" is
// never accepted: the code binds the answer to one request (reference/channels.md §2.4).

export type SmsVerb = 'approved' | 'denied' | 'ack';

export interface SmsReply {
  verb: SmsVerb;
  code: string;
}

const VERBS: Record<string, SmsVerb> = {
  yes: 'approved',
  approve: 'approved',
  no: 'denied',
  deny: 'denied',
  ack: 'ack',
};

export function parseSmsReply(body: string): SmsReply | null {
  if (typeof body !== 'string' || body.length > 160) return null;
  const m = /^\s*([a-z]+)\s*[:#-]?\s*((?:\d\s*){4,8})[.!]?\s*$/i.exec(body);
  if (!m) return null;
  const verb = VERBS[m[1].toLowerCase()];
  if (!verb) return null;
  return { verb, code: m[2].replace(/\s+/g, '') };
}
