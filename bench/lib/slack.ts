// Approval clicks as Slack sends them: a signed block_actions POST to the server's interaction endpoint.
import { signedClick } from '../../test/fakes/slack';
import { SLACK_SIGNING_SECRET, type Stack } from './stack';

export interface Click {
  status: number;
  ms: number;
}

/** Ana (an approver of soc-leads) clicks Approve on the message carrying `approvalId`. */
export async function clickApprove(stack: Stack, approvalId: string): Promise<Click> {
  const msg = stack.watch.approvalButtons.get(approvalId);
  if (!msg) throw new Error(`no Slack message for ${approvalId}`);
  const { body, headers } = signedClick({
    signingSecret: SLACK_SIGNING_SECRET,
    user: 'U01ANA',
    channel: msg.channel,
    ts: msg.ts,
    actionId: 'approval.approve',
    value: approvalId,
  });
  const t0 = performance.now();
  const res = await stack.http.request({ path: '/v1/slack/interactions', method: 'POST', headers, body });
  await res.body.dump();
  return { status: res.statusCode, ms: performance.now() - t0 };
}

/** The approval id of the first approval step of the run for `incident` (workflows/messages.ts). */
export function approvalIdOf(incident: string): string {
  return `nightshift/contain-confirmed-threat/incident/${incident}|approval|0`;
}
