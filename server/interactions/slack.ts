// POST /v1/slack/interactions — Slack block_actions (reference/channels.md §1.3). Slack needs HTTP 200
// within 3 s, so the Update gets a 2 s deadline; explanations go back as ephemeral messages.
import type { FastifyInstance } from 'fastify';
import { SlackAdapter } from '../../integrations/slack/adapter';
import { ACTION_ACK, ACTION_APPROVE, ACTION_DENY } from '../../integrations/slack/blocks';
import { described } from '../openapi';
import { verifySlackRequest } from './signatures';
import { personBySlack, submitAck, submitDecision, type SubmitResult } from './submit';
import { rawForm, SLACK_BODY_LIMIT, type ResolvedDeps } from './deps';

export const SLACK_UPDATE_DEADLINE_MS = 2000;

interface BlockActionsPayload {
  type?: string;
  user?: { id?: string };
  container?: { channel_id?: string };
  channel?: { id?: string };
  trigger_id?: string;
  actions?: Array<{ action_id?: string; value?: string; action_ts?: string }>;
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function explain(result: SubmitResult, what: string): string {
  switch (result.kind) {
    case 'ok':
      return `Recorded: ${what} (${result.outcome}).`;
    case 'refused':
      return `Not recorded: ${result.reason}. Nothing was changed.`;
    case 'not_found':
      return `Not recorded: ${result.reason}. Nothing was changed.`;
    case 'timeout':
      return `Nightshift is slow to answer: ${result.reason}. The message will update once it is recorded.`;
    case 'error':
      return `Not recorded: ${result.reason}. Please try again.`;
  }
}

export async function slackRoutes(app: FastifyInstance, d: ResolvedDeps): Promise<void> {
  const slackCfg = d.cfg.slack;
  const web = slackCfg?.botToken
    ? new SlackAdapter({ token: slackCfg.botToken, apiUrl: slackCfg.apiUrl, retries: 1 })
    : undefined;

  function tell(channel: string | undefined, user: string, text: string): void {
    if (!web || !channel) return;
    web
      .ephemeral(channel, user, text)
      .catch((err: Error) => d.log.warn({ err: err.message }, 'Slack ephemeral failed'));
  }

  app.post(
    '/v1/slack/interactions',
    {
      bodyLimit: SLACK_BODY_LIMIT,
      schema: {
        summary: 'Slack interactivity (Approve/Deny buttons); verified with the Slack signing secret',
        response: {
          200: described('Acknowledged'),
          400: described('A payload without user or action'),
          401: described('Bad or stale signature'),
          415: described('Not a form post'),
          503: described('Slack is not configured here (no signing secret)'),
        },
      },
    },
    async (req, reply) => {
      const raw = rawForm(req);
      if (raw === undefined)
        return reply.code(415).send({ error: 'expected application/x-www-form-urlencoded' });
      const check = verifySlackRequest({
        signingSecret: slackCfg?.signingSecret ?? '',
        timestamp: header(req.headers['x-slack-request-timestamp']),
        signature: header(req.headers['x-slack-signature']),
        rawBody: raw,
        nowSec: d.nowSec(),
      });
      if (!check.ok) {
        d.log.warn({ reason: check.reason }, 'Slack interaction refused');
        const status = check.reason.includes('not configured') ? 503 : 401;
        return reply.code(status).send({ error: check.reason });
      }
      const form = new URLSearchParams(raw);
      if (form.get('ssl_check') === '1') return reply.code(200).send();
      let payload: BlockActionsPayload;
      try {
        payload = JSON.parse(form.get('payload') ?? '') as BlockActionsPayload;
      } catch {
        return reply.code(400).send({ error: 'missing or malformed payload parameter' });
      }
      // Other interaction types (view submissions, shortcuts) are not ours: acknowledge and ignore.
      if (payload?.type !== 'block_actions') return reply.code(200).send();
      const action = payload.actions?.[0];
      const userId = payload.user?.id;
      const value = action?.value;
      if (!action || !userId || typeof value !== 'string' || value.length > 1000) {
        return reply.code(400).send({ error: 'block_actions payload without user or action value' });
      }
      if (![ACTION_APPROVE, ACTION_DENY, ACTION_ACK].includes(action.action_id ?? ''))
        return reply.code(200).send();
      const channel = payload.container?.channel_id ?? payload.channel?.id;
      const person = personBySlack(d.org(), userId);
      if (!person) {
        d.log.warn({ slackUser: userId }, 'Slack click by a user who is not a person of nightshift.yaml');
        tell(
          channel,
          userId,
          'Not recorded: your Slack account is not a person of nightshift.yaml. Nothing was changed.',
        );
        return reply.code(200).send();
      }
      // Slack may redeliver the same click: the same update id makes that a no-op.
      const updateId = `slack:${userId}:${action.action_ts ?? payload.trigger_id ?? ''}`;
      let result: SubmitResult;
      let what: string;
      if (action.action_id === ACTION_ACK) {
        what = 'page acknowledged';
        result = await submitAck(
          d.client,
          { pageId: value, personId: person.id, channel: 'slack' },
          updateId,
          SLACK_UPDATE_DEADLINE_MS,
        );
      } else {
        const outcome = action.action_id === ACTION_APPROVE ? 'approved' : 'denied';
        what = `your answer`;
        result = await submitDecision(
          d.client,
          { approvalId: value, personId: person.id, outcome, channel: 'slack' },
          updateId,
          SLACK_UPDATE_DEADLINE_MS,
        );
      }
      d.log.info({ person: person.id, id: value, result: result.kind }, 'Slack interaction');
      // The approval message itself is updated by approvalResolved; only refusals need explaining.
      if (result.kind !== 'ok' || action.action_id === ACTION_ACK)
        tell(channel, userId, explain(result, what));
      return reply.code(200).send();
    },
  );
}
