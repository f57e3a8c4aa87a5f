// The page activity: one person, one way (SMS, call, Slack, email), each saying how to acknowledge.
import type { PageRequest, PostedMessage } from '../../core/effects';
import { pageEmail } from '../../integrations/email/render';
import { linkUrl, signLink } from '../../integrations/links';
import { pageBlocks } from '../../integrations/slack/blocks';
import type { Deliveries, Delivery } from './deliveries';
import { progressFor } from './progress';

export async function page(d: Deliveries, req: PageRequest): Promise<PostedMessage> {
  const { ttl, nowSec, links, need, slackPost, emailSend, smsSend, voiceCall } = d;
  const progress = progressFor(req.key);
  const at: Delivery = { key: req.key, progress, run: req.run };
  const p = req.person;
  const l = links();
  // Each channel says how to acknowledge (with the code, a button, a link, a keypress).
  const message = withoutAckHint(req.message);
  switch (req.via) {
    case 'sms':
      return smsSend(
        'page',
        at,
        need(p.phone, `person ${p.id} has no phone for an SMS page`),
        `Nightshift PAGE: ${message} Reply ACK ${req.code} to acknowledge.`,
      );
    case 'voice':
      return voiceCall('page', at, p, {
        id: req.pageId,
        q: 'page',
        say: `Nightshift page. ${message}`,
        prompt: 'Press 1 to acknowledge.',
        fallback: `Reply A C K ${req.code.split('').join(' ')} by text message to acknowledge.`,
        exp: nowSec() + ttl,
      });
    case 'slack':
      return slackPost(
        'page',
        at,
        { user: need(p.slack, `person ${p.id} has no Slack user id`) },
        `PAGE: ${message}`,
        pageBlocks(req.run, req.pageId, message, req.code),
      );
    case 'email': {
      const address = need(p.email, `person ${p.id} has no email address`);
      const ackUrl = l
        ? linkUrl(
            l.publicUrl,
            signLink(l.secret, {
              k: 'ack',
              id: req.pageId,
              sub: p.id,
              out: 'ack',
              exp: nowSec() + ttl,
              ch: 'email',
            }),
          )
        : undefined;
      return emailSend('page', at, [address], () => pageEmail(req.run, message, req.code, ackUrl));
    }
  }
}

/**
 * A page message without its own closing "Reply ACK." (the example playbooks end so): every channel
 * adds how to acknowledge, with the code, so the instruction reads once ("Reply ACK 7757").
 */
export function withoutAckHint(message: string): string {
  const m = /^([\s\S]*?)[\s.,;:-]*\breply\s+ack\b\s*[.!]?\s*$/i.exec(message);
  if (!m || !m[1].trim()) return message;
  return /[.!?]$/.test(m[1]) ? m[1] : `${m[1]}.`;
}
