// Block Kit for Nightshift messages (reference/channels.md §1.2, §1.4). Button values carry only the
// opaque approval/page id; who may answer is decided server-side from the clicking user.
import { createHash } from 'node:crypto';
import type { Decision, RunRef } from '../../core/effects';
import { cap, plainText, slackText } from '../escape';

export const ACTION_APPROVE = 'approval.approve';
export const ACTION_DENY = 'approval.deny';
export const ACTION_ACK = 'page.ack';

export type Block = Record<string, unknown>;

/** Slack mrkdwn control characters in text that is not ours (integrations/escape.ts). */
export const esc = slackText;

/** block_id ≤ 255 and unique per message version: a short hash of the interaction id. */
function bid(id: string, part: string, version: number): string {
  return `${createHash('sha256').update(id).digest('hex').slice(0, 16)}.${part}.v${version}`;
}

const plain = (text: string) => ({ type: 'plain_text', text: cap(plainText(text), 75) });

function runLine(run: RunRef): string {
  return `Playbook \`${esc(run.playbook)}\` v${run.playbookVersion} · step \`${esc(run.stepId)}\` · detection \`${esc(run.detectionId)}\``;
}

export function notifyBlocks(run: RunRef, message: string, title?: string): Block[] {
  const text = (title ? `*${esc(title)}*\n` : '') + esc(message);
  return [
    { type: 'section', text: { type: 'mrkdwn', text: cap(text, 3000) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: runLine(run) }] },
  ];
}

export function approvalBlocks(opts: {
  run: RunRef;
  approvalId: string;
  question: string;
  code: string;
  approvers: string;
  expiresAt: string;
}): Block[] {
  const { run, approvalId, question, code } = opts;
  return [
    {
      type: 'section',
      block_id: bid(approvalId, 'summary', 1),
      text: { type: 'mrkdwn', text: cap(`:raising_hand: *Approval needed*\n${esc(question)}`, 3000) },
    },
    {
      type: 'context',
      block_id: bid(approvalId, 'context', 1),
      elements: [
        {
          type: 'mrkdwn',
          text: cap(
            `${runLine(run)}\nApprovers: ${opts.approvers} · expires ${esc(opts.expiresAt)} · by SMS: \`YES ${code}\` / \`NO ${code}\``,
            3000,
          ),
        },
      ],
    },
    {
      type: 'actions',
      block_id: bid(approvalId, 'decision', 1),
      elements: [
        {
          type: 'button',
          action_id: ACTION_APPROVE,
          value: approvalId,
          style: 'primary',
          text: plain('Approve'),
          confirm: {
            title: plain('Approve?'),
            text: { type: 'plain_text', text: cap(plainText(question), 300) },
            confirm: plain('Approve'),
            deny: plain('Cancel'),
          },
        },
        {
          type: 'button',
          action_id: ACTION_DENY,
          value: approvalId,
          style: 'danger',
          text: plain('Deny'),
          confirm: {
            title: plain('Deny?'),
            text: { type: 'plain_text', text: 'The playbook will take the denied branch.' },
            confirm: plain('Deny'),
            deny: plain('Cancel'),
            style: 'danger',
          },
        },
      ],
    },
  ];
}

export function decisionText(decision: Decision, who: string): string {
  const verb = decision.outcome === 'approved' ? 'Approved' : 'Denied';
  if (decision.timedOut) return `${verb} automatically: nobody answered in time`;
  return `${verb} by ${who} via ${decision.channel}`;
}

export function resolvedBlocks(opts: {
  approvalId: string;
  question: string;
  decision: Decision;
  who: string;
}): Block[] {
  const { approvalId, question, decision } = opts;
  const icon = decision.timedOut
    ? ':hourglass:'
    : decision.outcome === 'approved'
      ? ':white_check_mark:'
      : ':x:';
  const epoch = Math.floor(Date.parse(decision.decidedAt) / 1000);
  const when = Number.isFinite(epoch)
    ? `<!date^${epoch}^{date_short_pretty} {time}|${esc(decision.decidedAt)}>`
    : esc(decision.decidedAt);
  return [
    {
      type: 'section',
      block_id: bid(approvalId, 'summary', 2),
      text: { type: 'mrkdwn', text: cap(`*Approval*\n${esc(question)}`, 3000) },
    },
    {
      type: 'context',
      block_id: bid(approvalId, 'decision', 2),
      elements: [{ type: 'mrkdwn', text: `${icon} ${decisionText(decision, opts.who)} at ${when}` }],
    },
  ];
}

export function pageBlocks(run: RunRef, pageId: string, message: string, code: string): Block[] {
  return [
    {
      type: 'section',
      block_id: bid(pageId, 'page', 1),
      text: { type: 'mrkdwn', text: cap(`:rotating_light: *Page*\n${esc(message)}`, 3000) },
    },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `${runLine(run)} · by SMS: \`ACK ${code}\`` }],
    },
    {
      type: 'actions',
      block_id: bid(pageId, 'ack', 1),
      elements: [
        {
          type: 'button',
          action_id: ACTION_ACK,
          value: pageId,
          style: 'primary',
          text: plain('Acknowledge'),
        },
      ],
    },
  ];
}
