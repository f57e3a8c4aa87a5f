// GET+POST /v1/links?t=<token> — signed approval and acknowledgement links (email, Teams).
// GET (and HEAD) only renders a confirmation page: mail scanners fetch every link, so nothing is decided
// until the person submits the form (POST). A fresh Update id per POST means a replayed link after the
// decision reaches the validator, which refuses it ("already decided"): links are single-use.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { MAX_TOKEN_LENGTH, verifyLink, type LinkClaims, type VerifyFailure } from '../../integrations/links';
import { stateQuery } from '../../workflows/messages';
import { workflowIdOf } from '../../core/messages';
import { described } from '../openapi';
import { esc, page, PAGE_HEADERS } from './html';
import { submitAck, submitDecision, type SubmitResult } from './submit';
import { LINK_BODY_LIMIT, type ResolvedDeps } from './deps';

export const LINK_UPDATE_DEADLINE_MS = 5000;

const querystring = {
  type: 'object',
  properties: { t: { type: 'string', maxLength: MAX_TOKEN_LENGTH } },
  required: ['t'],
};

function html(reply: FastifyReply, status: number, title: string, body: string) {
  return reply.code(status).headers(PAGE_HEADERS).send(page(title, body));
}

const FAILURE: Record<VerifyFailure, [number, string]> = {
  malformed: [400, 'This link is malformed.'],
  signature: [403, 'This link is not valid (its signature does not match).'],
  expired: [410, 'This link has expired.'],
  kind: [400, 'This link is not an approval link.'],
};

const STATUS: Record<Exclude<SubmitResult['kind'], 'ok'>, number> = {
  refused: 409,
  not_found: 404,
  // Accepted for processing: the answer keeps being submitted (server/interactions/submit.ts).
  timeout: 202,
  error: 500,
};

function label(c: LinkClaims): string {
  return c.out === 'approved' ? 'Approve' : c.out === 'denied' ? 'Deny' : 'Acknowledge';
}

export async function linkRoutes(app: FastifyInstance, d: ResolvedDeps): Promise<void> {
  function check(token: string, reply: FastifyReply): LinkClaims | undefined {
    const v = verifyLink(d.cfg.linkSecret ?? '', token, d.nowSec(), ['decide', 'ack']);
    if (!v.ok) {
      d.log.warn({ reason: v.reason }, 'approval link refused');
      const [status, text] = FAILURE[v.reason];
      void html(reply, status, 'Nightshift', `<p>${esc(text)} Nothing was recorded.</p>`);
      return undefined;
    }
    const c = v.claims;
    if (!d.org().people[c.sub] || !workflowIdOf(c.id) || !c.out || (c.k === 'ack') !== (c.out === 'ack')) {
      void html(
        reply,
        403,
        'Nightshift',
        '<p>This link is not for a person of this organisation. Nothing was recorded.</p>',
      );
      return undefined;
    }
    return c;
  }

  app.get<{ Querystring: { t: string } }>(
    '/v1/links',
    {
      schema: {
        querystring,
        summary: 'Signed approval link: a confirmation page only (mail scanners open links)',
        response: { 200: described('HTML') },
      },
    },
    async (req, reply) => {
      const c = check(req.query.t, reply);
      if (!c) return reply;
      const person = d.org().people[c.sub];
      // Show what is being decided; if the run cannot tell (finished, slow) the form still works.
      let what = '';
      let pending = true;
      try {
        const state = await d.client.withDeadline(Date.now() + 2000, () =>
          d.client.workflow.getHandle(workflowIdOf(c.id)!).query(stateQuery),
        );
        const a = state.pendingApprovals?.find((x) => x.approvalId === c.id);
        const p = state.pendingPages?.find((x) => x.pageId === c.id);
        what = a?.question ?? (p ? `Page of step ${p.stepId}` : '');
        pending = !!(a || p);
      } catch {
        // Fall through to the generic page.
      }
      if (!pending)
        return html(reply, 200, 'Nightshift', '<p>This request is no longer pending; nothing to do.</p>');
      const verb = label(c);
      return html(
        reply,
        200,
        `${verb}?`,
        `${what ? `<p><strong>${esc(what)}</strong></p>` : ''}<p>You are answering as <strong>${esc(person.name)}</strong>. Nothing is recorded until you press the button.</p>` +
          `<form method="post"><button type="submit">${esc(verb)}</button></form>`,
      );
    },
  );

  app.post<{ Querystring: { t: string } }>(
    '/v1/links',
    {
      schema: {
        querystring,
        summary: 'Signed approval link: the decision',
        response: { 200: described('HTML'), 409: described('Refused') },
      },
      bodyLimit: LINK_BODY_LIMIT,
    },
    async (req, reply) => {
      const c = check(req.query.t, reply);
      if (!c) return reply;
      const channel = c.ch ?? 'email';
      const updateId = `link:${c.jti}:${randomUUID()}`;
      const result =
        c.out === 'ack'
          ? await submitAck(
              d.client,
              { pageId: c.id, personId: c.sub, channel },
              updateId,
              LINK_UPDATE_DEADLINE_MS,
            )
          : await submitDecision(
              d.client,
              {
                approvalId: c.id,
                personId: c.sub,
                outcome: c.out === 'approved' ? 'approved' : 'denied',
                channel,
              },
              updateId,
              LINK_UPDATE_DEADLINE_MS,
            );
      d.log.info(
        { person: c.sub, id: c.id, jti: c.jti, result: result.kind, ip: req.ip },
        'link interaction',
      );
      if (result.kind === 'ok') {
        return html(
          reply,
          200,
          'Recorded',
          `<p>Recorded: <strong>${esc(result.outcome)}</strong> at ${esc(result.at)}. Thank you.</p>`,
        );
      }
      if (result.kind === 'timeout')
        return html(
          reply,
          STATUS.timeout,
          'Not recorded yet',
          `<p>Not recorded yet: ${esc(result.reason)}.</p>`,
        );
      return html(
        reply,
        STATUS[result.kind],
        'Not recorded',
        `<p>Not recorded: ${esc(result.reason)}. Nothing was changed.</p>`,
      );
    },
  );
}
