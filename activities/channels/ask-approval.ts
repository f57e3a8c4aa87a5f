// The askApproval activity: the question with its way to answer — Slack buttons, signed links in email
// and Teams (one pair per approver), a code to text back, a call that takes a keypress.
import type { ApprovalAskRequest, PostedMessage, Recipient } from '../../core/effects';
import type { PersonIR } from '../../core/ir';
import { approvalEmail } from '../../integrations/email/render';
import { approvalBlocks, esc } from '../../integrations/slack/blocks';
import { approvalCard, type ApproverLinks } from '../../integrations/teams/cards';
import type { Deliveries, Delivery } from './deliveries';
import { progressFor } from './progress';

export async function askApproval(d: Deliveries, req: ApprovalAskRequest): Promise<PostedMessage> {
  const {
    nowSec,
    personKind,
    need,
    slackPost,
    emailSend,
    smsSend,
    teamsPost,
    decideLinks,
    approverFor,
    smsQuestion,
    warnNoLinks,
    voiceCall,
  } = d;
  const progress = progressFor(req.key);
  const at: Delivery = { key: req.key, progress, run: req.run };
  const mentions = req.approvers.map((p) => (p.slack ? `<@${p.slack}>` : esc(p.name))).join(', ') || 'nobody';
  const blocks = approvalBlocks({
    run: req.run,
    approvalId: req.approvalId,
    question: req.question,
    code: req.code,
    approvers: mentions,
    expiresAt: req.expiresAt,
  });
  const text = `Approval needed: ${req.question}`;
  const mailFor = (address: string, person?: PersonIR) => () => {
    const who = person ?? approverFor(req, address);
    const isApprover = !!who && req.approvers.some((a) => a.id === who.id);
    return approvalEmail({
      run: req.run,
      question: req.question,
      code: req.code,
      expiresAt: req.expiresAt,
      approver: isApprover,
      links: isApprover ? decideLinks(req, who, 'email') : undefined,
    });
  };
  const to: Recipient = req.to;
  if (to.type === 'channel') {
    const ch = to.channel;
    if (ch.kind === 'slack') return slackPost('askApproval', at, { channel: ch.channel }, text, blocks);
    if (ch.kind === 'teams') {
      warnNoLinks(`Teams approval ${req.approvalId}`);
      const approverLinks: ApproverLinks[] = req.approvers.slice(0, 10).flatMap((p) => {
        const l = decideLinks(req, p, 'teams');
        return l ? [{ name: p.name, ...l }] : [];
      });
      const card = approvalCard({
        run: req.run,
        question: req.question,
        code: req.code,
        expiresAt: req.expiresAt,
        links: approverLinks,
      });
      return teamsPost('askApproval', at, to.id, ch, card, text);
    }
    warnNoLinks(`email approval ${req.approvalId}`);
    return emailSend('askApproval', at, ch.to, (address) => mailFor(address)());
  }
  const p = to.person;
  switch (req.via ?? personKind(p)) {
    case 'voice':
      return voiceCall('askApproval', at, p, {
        id: req.approvalId,
        q: 'approval',
        say: `Nightshift approval needed. ${req.question}`,
        prompt: 'Press 1 to approve. Press 2 to deny.',
        fallback: `Reply YES ${req.code.split('').join(' ')} or NO ${req.code.split('').join(' ')} by text message.`,
        // The call's token lives as long as the approval (plus a little for a late keypress).
        exp: Math.min(Math.floor(Date.parse(req.expiresAt) / 1000) + 300, nowSec() + 7 * 86400),
      });
    case 'slack':
      return slackPost(
        'askApproval',
        at,
        { user: need(p.slack, `person ${p.id} has no slack id`) },
        text,
        blocks,
      );
    case 'email': {
      const address = need(p.email, `person ${p.id} has no email`);
      warnNoLinks(`email approval ${req.approvalId}`);
      return emailSend('askApproval', at, [address], mailFor(address, p));
    }
    case 'sms':
      return smsSend('askApproval', at, need(p.phone, `person ${p.id} has no phone`), smsQuestion(req));
  }
}
