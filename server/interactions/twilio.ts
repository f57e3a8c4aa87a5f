// POST /v1/twilio/sms and POST /v1/twilio/voice?t=<token> (reference/channels.md §2.3–2.5).
// The signature covers the public URL Twilio called (NIGHTSHIFT_PUBLIC_URL + path + query), not the
// address we listen on behind a proxy. Transport failures (content type, signature, forged token) get
// 4xx; authentic but refused answers (not the callee, expired, already decided) get 200 with TwiML that
// explains, because Twilio does not play the TwiML of a non-2xx answer.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Client } from '@temporalio/client';
import { messageTwiml, sayTwiml } from '../../integrations/twilio/twiml';
import { MAX_TOKEN_LENGTH, verifyLink } from '../../integrations/links';
import { alreadyAnswered, workflowIdOf, type AnsweredInteraction, type RunState } from '../../core/messages';
import { stateQuery } from '../../workflows/messages';
import { answeredCode, SA_PENDING_CODES } from '../../core/search-attributes';
import { parseForm, verifyTwilioRequest, type FormParams } from './signatures';
import { described } from '../openapi';
import { parseSmsReply } from './sms-reply';
import { normalizePhone, personByPhone, submitAck, submitDecision, type SubmitResult } from './submit';
import { rawForm, TWILIO_BODY_LIMIT, type ResolvedDeps } from './deps';

export const TWILIO_UPDATE_DEADLINE_MS = 5000;
const MAX_RUNS_PER_CODE = 10;

function str(p: FormParams, name: string): string {
  const v = p[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

function xml(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).header('content-type', 'text/xml; charset=utf-8').send(body);
}

/** A request with a given code, pending or already answered, in one run. */
export interface Candidate {
  kind: 'approval' | 'page';
  id: string;
  /** The person may answer it: an approver, or paged. */
  allowed: boolean;
  /** Still waiting for an answer; otherwise `answered` says who answered. */
  pending: boolean;
  answered?: AnsweredInteraction;
}

/**
 * Requests with this code, pending or already answered, found through visibility (the run's pending
 * and answered codes), then each run's state query. Both kinds: the route tells a YES to a page code
 * or an ACK to an approval code what the code is for.
 */
export async function findByCode(client: Client, code: string, personId: string): Promise<Candidate[]> {
  if (!/^\d{4,8}$/.test(code)) return [];
  const attr = SA_PENDING_CODES.name;
  const query = `(${attr} = '${code}' OR ${attr} = '${answeredCode(code)}') AND ExecutionStatus = 'Running'`;
  const out: Candidate[] = [];
  let n = 0;
  for await (const wf of client.workflow.list({ query, pageSize: MAX_RUNS_PER_CODE })) {
    if (++n > MAX_RUNS_PER_CODE) break;
    let state: RunState;
    try {
      state = await client.withDeadline(Date.now() + 2000, () =>
        client.workflow.getHandle(wf.workflowId).query(stateQuery),
      );
    } catch {
      continue; // finished meanwhile, or no worker: not a candidate
    }
    for (const p of state.pendingPages ?? [])
      if (p.code === code)
        out.push({ kind: 'page', id: p.pageId, allowed: p.paged.includes(personId), pending: true });
    for (const a of state.pendingApprovals ?? [])
      if (a.code === code)
        out.push({
          kind: 'approval',
          id: a.approvalId,
          allowed: a.approvers.includes(personId),
          pending: true,
        });
    for (const a of state.answered ?? [])
      if (a.code === code)
        out.push({
          kind: a.kind,
          id: a.id,
          allowed: a.people.includes(personId),
          pending: false,
          answered: a,
        });
  }
  return out;
}

export function smsAnswer(result: SubmitResult, what: string): string {
  if (result.kind === 'ok') return `Nightshift: ${what} recorded (${result.outcome}). Thank you.`;
  if (result.kind === 'timeout') return `Nightshift: not recorded yet — ${result.reason}.`;
  return `Nightshift: not recorded — ${result.reason}.`;
}

export async function twilioRoutes(app: FastifyInstance, d: ResolvedDeps): Promise<void> {
  /** Raw body → params, after checking X-Twilio-Signature; sends the refusal itself when it fails. */
  function authenticate(
    req: { body: unknown; url: string; headers: Record<string, unknown> },
    reply: FastifyReply,
  ) {
    const raw = rawForm(req);
    if (raw === undefined) {
      void xml(reply, 415, messageTwiml());
      return undefined;
    }
    // Read at request time: the public URL may be set once the server listens.
    const key = d.cfg.twilio?.webhookKey ?? d.cfg.twilio?.authToken ?? '';
    const base = (d.cfg.publicUrl ?? '').replace(/\/+$/, '');
    if (!key || !base) {
      d.log.error({}, 'Twilio webhook: TWILIO_AUTH_TOKEN and NIGHTSHIFT_PUBLIC_URL are required');
      void reply.code(503).send({ error: 'Twilio webhooks are not configured on this server' });
      return undefined;
    }
    const sig = req.headers['x-twilio-signature'];
    if (typeof sig !== 'string' || !sig) {
      void reply.code(400).send({ error: 'missing X-Twilio-Signature' });
      return undefined;
    }
    const params = parseForm(raw);
    if (!verifyTwilioRequest(key, sig, base + req.url, params)) {
      d.log.warn({ path: req.url.split('?')[0] }, 'Twilio webhook with an invalid signature refused');
      void reply.code(403).send({ error: 'invalid X-Twilio-Signature' });
      return undefined;
    }
    return params;
  }

  app.post(
    '/v1/twilio/sms',
    {
      bodyLimit: TWILIO_BODY_LIMIT,
      schema: {
        summary: 'Inbound SMS (YES/NO/ACK <code>); verified with X-Twilio-Signature',
        response: { 200: described('TwiML reply'), 403: described('Bad signature') },
      },
    },
    async (req, reply) => {
      const params = authenticate(req, reply);
      if (!params) return reply;
      const from = str(params, 'From');
      const person = personByPhone(d.org(), from);
      if (!person) {
        d.log.warn(
          { from: from.slice(0, 4) + '…' },
          'SMS from a number that is no person of nightshift.yaml',
        );
        return xml(
          reply,
          200,
          messageTwiml('Nightshift: this number is not registered; nothing was recorded.'),
        );
      }
      // A number locked out after too many wrong codes: refused before any lookup, right code or not,
      // with a reply that says nothing about codes.
      const phone = normalizePhone(from);
      if (d.smsLockout.locked(phone)) {
        return xml(
          reply,
          200,
          messageTwiml(
            'Nightshift: too many wrong codes from this number; SMS replies are not accepted for a while. Nothing was recorded. Answer in Slack, by email link or by phone.',
          ),
        );
      }
      const parsed = parseSmsReply(str(params, 'Body'));
      if (!parsed) {
        return xml(
          reply,
          200,
          messageTwiml('Nightshift: reply YES <code> or NO <code> to an approval, ACK <code> to a page.'),
        );
      }
      const code = parsed.code;
      const kind = parsed.verb === 'ack' ? 'page' : 'approval';
      const found = await findByCode(d.client, code, person.id);
      const mine = found.filter((c) => c.allowed);
      // Several runs may share a short code: the person's own requests disambiguate. Someone else's single
      // pending request is submitted anyway, so the run's validator says why it is refused (e.g. a lead
      // answering before their escalation stage) — unless the person's own request with that code was
      // answered already: that is what their reply is about.
      const open = mine.filter((c) => c.pending && c.kind === kind);
      const others = found.filter((c) => c.pending && c.kind === kind);
      const done = mine.find((c) => !c.pending);
      const pick =
        open.length === 1
          ? open[0]
          : open.length === 0 && !done && others.length === 1
            ? others[0]
            : undefined;
      if (!pick) {
        let why: string;
        const otherKind = mine.find((c) => c.pending && c.kind !== kind);
        if (open.length > 1)
          why = `not recorded — code ${code} matches several requests; answer in Slack or by link.`;
        else if (otherKind)
          why =
            otherKind.kind === 'approval'
              ? `${code} is an approval: reply YES ${code} to approve or NO ${code} to deny.`
              : `${code} is a page: reply ACK ${code} to acknowledge.`;
        else if (done?.answered)
          why = `not recorded — ${code} was ${alreadyAnswered(done.answered, (id) => d.org().people[id]?.name ?? id)}.`;
        else {
          why = `not recorded — no pending request of yours has code ${code}.`;
          d.metrics.smsWrongCodes.inc();
          if (d.smsLockout.recordWrong(phone)) {
            d.metrics.smsLockouts.inc();
            d.log.warn(
              { person: person.id, minutes: d.smsLockout.lockMinutes },
              'SMS replies locked out after too many wrong codes',
            );
            why += ` Too many wrong codes: SMS replies from this number are not accepted for ${d.smsLockout.lockMinutes} minutes.`;
          }
        }
        return xml(reply, 200, messageTwiml(`Nightshift: ${why}`));
      }
      const updateId = `sms:${str(params, 'MessageSid') || str(params, 'SmsSid')}`;
      const result =
        pick.kind === 'page'
          ? await submitAck(
              d.client,
              { pageId: pick.id, personId: person.id, channel: 'sms' },
              updateId,
              TWILIO_UPDATE_DEADLINE_MS,
            )
          : await submitDecision(
              d.client,
              {
                approvalId: pick.id,
                personId: person.id,
                outcome: parsed.verb === 'approved' ? 'approved' : 'denied',
                channel: 'sms',
              },
              updateId,
              TWILIO_UPDATE_DEADLINE_MS,
            );
      d.log.info({ person: person.id, id: pick.id, result: result.kind }, 'SMS interaction');
      return xml(
        reply,
        200,
        messageTwiml(smsAnswer(result, pick.kind === 'page' ? 'page acknowledgement' : 'answer')),
      );
    },
  );

  app.post<{ Querystring: { t: string } }>(
    '/v1/twilio/voice',
    {
      bodyLimit: TWILIO_BODY_LIMIT,
      schema: {
        querystring: {
          type: 'object',
          properties: { t: { type: 'string', maxLength: MAX_TOKEN_LENGTH } },
          required: ['t'],
        },
        summary: 'Voice call keypress callback; verified with X-Twilio-Signature and a signed token',
        response: { 200: described('TwiML'), 403: described('Bad signature or token') },
      },
    },
    async (req, reply) => {
      const params = authenticate(req, reply);
      if (!params) return reply;
      const v = verifyLink(d.cfg.linkSecret ?? '', req.query.t, d.nowSec(), ['voice']);
      if (!v.ok) {
        d.log.warn({ reason: v.reason }, 'voice callback with a bad token refused');
        // An expired token is still ours (its MAC is good): the caller hears why. A forged or
        // malformed one is a bad request and gets no explanation.
        const status = v.reason === 'expired' ? 200 : 403;
        return xml(
          reply,
          status,
          sayTwiml('This call can no longer be answered. Nothing was recorded. Goodbye.'),
        );
      }
      const c = v.claims;
      const person = d.org().people[c.sub];
      // We dialled the approver: the call's To must be the number the token was issued for, and that
      // number must still be the person's.
      const to = normalizePhone(str(params, 'To'));
      if (
        !person?.phone ||
        !c.tel ||
        to !== normalizePhone(c.tel) ||
        normalizePhone(person.phone) !== to ||
        !workflowIdOf(c.id)
      ) {
        d.log.warn({ id: c.id }, 'voice callback for another callee refused');
        // Authentic (Twilio signature and token are good) but refused: 200, or Twilio plays its own
        // generic error instead of our words.
        return xml(
          reply,
          200,
          sayTwiml('This call is not for a registered approver. Nothing was recorded. Goodbye.'),
        );
      }
      const digits = str(params, 'Digits');
      const updateId = `voice:${str(params, 'CallSid')}:${c.id}`;
      let result: SubmitResult;
      if (c.q === 'page') {
        if (digits !== '1') return xml(reply, 200, sayTwiml('No acknowledgement recorded. Goodbye.'));
        result = await submitAck(
          d.client,
          { pageId: c.id, personId: person.id, channel: 'voice' },
          updateId,
          TWILIO_UPDATE_DEADLINE_MS,
        );
      } else {
        if (digits !== '1' && digits !== '2')
          return xml(reply, 200, sayTwiml('No valid choice. Nothing was recorded. Goodbye.'));
        const outcome = digits === '1' ? 'approved' : 'denied';
        result = await submitDecision(
          d.client,
          { approvalId: c.id, personId: person.id, outcome, channel: 'voice' },
          updateId,
          TWILIO_UPDATE_DEADLINE_MS,
        );
      }
      d.log.info({ person: person.id, id: c.id, result: result.kind }, 'voice interaction');
      const say =
        result.kind === 'ok'
          ? `Recorded: ${result.outcome}. Thank you. Goodbye.`
          : result.kind === 'timeout'
            ? `Not recorded yet: ${result.reason}. Goodbye.`
            : `Nothing was recorded: ${result.reason}. Goodbye.`;
      return xml(reply, 200, sayTwiml(say));
    },
  );
}
