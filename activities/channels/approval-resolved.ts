// The approvalResolved activity: every message of an approval shows the decision (Slack buttons
// removed, a Teams card, an email reply in the thread, an SMS); a message that cannot be updated does not
// hide the decision elsewhere.
import { ApplicationFailure } from '@temporalio/common';
import type { ApprovalResolvedRequest } from '../../core/effects';
import { resolveSecret } from '../../integrations/channels-config';
import { messageIdFor } from '../../integrations/email/adapter';
import { resolvedEmail } from '../../integrations/email/render';
import { decisionText, esc, resolvedBlocks } from '../../integrations/slack/blocks';
import { resolvedCard } from '../../integrations/teams/cards';
import { logEffect, runFields } from '../../platform/effect-log';
import type { Deliveries } from './deliveries';
import { progressFor } from './progress';

export async function approvalResolved(d: Deliveries, req: ApprovalResolvedRequest): Promise<void> {
  const { log, env, org, slack, teams, email, sms, done, dryRun, personName } = d;
  const progress = progressFor(req.key);
  const decider = req.decision.decidedBy ? org()?.people[req.decision.decidedBy] : undefined;
  const plainText = decisionText(req.decision, personName(req.decision.decidedBy));
  const slackWho = decider?.slack
    ? `<@${decider.slack}> (${esc(decider.name)})`
    : esc(personName(req.decision.decidedBy));
  const failures: Error[] = [];
  const op = 'approvalResolved';
  for (const [i, m] of req.messages.entries()) {
    const step = `resolved:${i}`;
    if (progress.get(step)) continue;
    try {
      if (m.dryRun) {
        dryRun('approvalResolved', m.channel, m.target, req.key, `${plainText}: ${req.question}`);
      } else if (m.channel === 'slack' && slack && m.ref) {
        const blocks = resolvedBlocks({
          approvalId: req.approvalId,
          question: req.question,
          decision: req.decision,
          who: slackWho,
        });
        await slack.update(m.target, m.ref, `${plainText}: ${req.question}`, blocks);
        logEffect(log, { kind: 'slack.update', ...runFields(req.run), op, channel: m.target, ts: m.ref });
      } else if (m.channel === 'teams') {
        const ch = org()?.channels[m.target];
        const envName = m.ref?.startsWith('env:') ? m.ref.slice(4) : undefined;
        const url = envName
          ? env[envName]
          : ch?.kind === 'teams'
            ? resolveSecret(ch.webhook, env)
            : undefined;
        if (url) {
          await teams.post(url, resolvedCard(req.question, req.decision, plainText), m.target);
          logEffect(log, { kind: 'teams.post', ...runFields(req.run), op, channel: m.target });
        } else log.warn({ channel: m.target }, 'Teams decision not posted: webhook of the channel unknown');
      } else if (m.channel === 'email' && email && m.ref) {
        for (const address of m.target.split(',').filter(Boolean)) {
          const sub = `${step}:${address}`;
          if (progress.get(sub)) continue;
          const messageId = messageIdFor(req.key, address, email.from);
          await email.send({
            to: address,
            ...resolvedEmail(req.run, req.question, plainText),
            messageId,
            inReplyTo: messageIdFor(m.ref, address, email.from),
          });
          logEffect(log, { kind: 'email.send', ...runFields(req.run), op, to: address, messageId });
          progress.set(sub, true);
        }
      } else if (m.channel === 'sms' && sms) {
        const sid = await sms.sms(
          m.target,
          `Nightshift: ${plainText} at ${req.decision.decidedAt}: ${req.question}`,
        );
        logEffect(log, { kind: 'sms.send', ...runFields(req.run), op, to: m.target, sid });
      }
      // voice: a call cannot be edited; nothing to show.
      progress.set(step, true);
      done(step, req.key);
    } catch (err) {
      // A message that cannot be updated (deleted, too old) must not hide the decision elsewhere.
      log.warn(
        { channel: m.channel, target: m.target, err: (err as Error).message },
        'could not show the decision',
      );
      if (!(err instanceof ApplicationFailure && err.nonRetryable) && !isSlackPlatformError(err))
        failures.push(err as Error);
    }
  }
  if (failures.length) throw failures[0];
}

function isSlackPlatformError(err: unknown): boolean {
  return (err as { code?: string })?.code === 'slack_webapi_platform_error';
}
