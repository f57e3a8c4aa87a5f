// The notify activity: a message to a channel, or to a person on their best configured way.
import type { NotifyRequest, PostedMessage } from '../../core/effects';
import { notifyEmail } from '../../integrations/email/render';
import { notifyBlocks } from '../../integrations/slack/blocks';
import { notifyCard } from '../../integrations/teams/cards';
import type { Deliveries, Delivery } from './deliveries';
import { progressFor } from './progress';

export async function notify(d: Deliveries, req: NotifyRequest): Promise<PostedMessage> {
  const { personKind, slackPost, emailSend, smsSend, teamsPost } = d;
  const progress = progressFor(req.key);
  const at: Delivery = { key: req.key, progress, run: req.run };
  const text = req.title ? `${req.title}: ${req.message}` : req.message;
  const to = req.to;
  if (to.type === 'channel') {
    const ch = to.channel;
    if (ch.kind === 'slack')
      return slackPost(
        'notify',
        at,
        { channel: ch.channel },
        text,
        notifyBlocks(req.run, req.message, req.title),
      );
    if (ch.kind === 'teams')
      return teamsPost('notify', at, to.id, ch, notifyCard(req.run, req.message, req.title), text);
    return emailSend('notify', at, ch.to, () => notifyEmail(req.run, req.message, req.title));
  }
  const p = to.person;
  switch (personKind(p)) {
    case 'slack':
      return slackPost('notify', at, { user: p.slack }, text, notifyBlocks(req.run, req.message, req.title));
    case 'email':
      return emailSend('notify', at, [p.email!], () => notifyEmail(req.run, req.message, req.title));
    case 'sms':
      return smsSend('notify', at, p.phone!, `Nightshift: ${text}`);
  }
}
