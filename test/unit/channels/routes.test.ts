// Interaction routes refuse bad transport before touching Temporal (the client here throws if used).
import Fastify from 'fastify';
import type { Client } from '@temporalio/client';
import { interactionRoutes } from '../../../server/interactions';
import { signedClick } from '../../fakes/slack';
import { twilioSign } from '../../fakes/twilio';
import type { OrgIR } from '../../../core/ir';

const org = { people: {}, channels: {} } as unknown as OrgIR;
const client = new Proxy(
  {},
  {
    get: () => {
      throw new Error('Temporal must not be called');
    },
  },
) as unknown as Client;

async function app() {
  const a = Fastify();
  await a.register(interactionRoutes, {
    client,
    org: () => org,
    cfg: {
      publicUrl: 'https://soar.example',
      linkSecret: 'k'.repeat(40),
      slack: { signingSecret: 'sss' },
      twilio: { accountSid: 'AC1', authToken: 'tok', from: '+1555' },
    },
  });
  return a;
}

describe('interaction routes: transport refusals', () => {
  it('Slack: missing headers, stale, wrong content type, oversized body, ssl_check', async () => {
    const a = await app();
    const c = signedClick({
      signingSecret: 'sss',
      user: 'U1',
      channel: 'C1',
      ts: '1.1',
      actionId: 'approval.approve',
      value: 'w|s|1',
    });
    const post = (body: string, headers: Record<string, string>) =>
      a.inject({ method: 'POST', url: '/v1/slack/interactions', payload: body, headers });
    expect((await post(c.body, { 'content-type': 'application/x-www-form-urlencoded' })).statusCode).toBe(
      401,
    );
    const stale = signedClick({
      signingSecret: 'sss',
      user: 'U1',
      channel: 'C1',
      ts: '1.1',
      actionId: 'approval.approve',
      value: 'x',
      timestamp: Math.floor(Date.now() / 1000) + 400,
    });
    const r = await post(stale.body, stale.headers);
    expect(r.statusCode).toBe(401);
    expect(r.json().error).toMatch(/5 minutes/);
    expect((await post('{}', { ...c.headers, 'content-type': 'application/json' })).statusCode).toBe(415);
    // A correctly signed click sent as text/plain is not a click: only Slack's form encoding is.
    const asText = await post(c.body, { ...c.headers, 'content-type': 'text/plain' });
    expect(asText.statusCode).toBe(415);
    expect(asText.json().error).toMatch(/application\/x-www-form-urlencoded/);
    expect((await post('payload=' + 'x'.repeat(300 * 1024), c.headers)).statusCode).toBe(413);
    const ts = String(Math.floor(Date.now() / 1000));
    const { createHmac } = await import('node:crypto');
    const body = 'ssl_check=1&token=x';
    const sig = 'v0=' + createHmac('sha256', 'sss').update(`v0:${ts}:${body}`).digest('hex');
    expect(
      (
        await post(body, {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': ts,
          'x-slack-signature': sig,
        })
      ).statusCode,
    ).toBe(200);
    await a.close();
  });

  it('Twilio: missing and invalid signatures; links: malformed and forged tokens', async () => {
    const a = await app();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    // Twilio posts form-encoded bodies only; a validly signed text/plain body is refused first.
    const params = { From: '+15555550101', Body: 'YES 1234' };
    for (const url of ['/v1/twilio/sms', '/v1/twilio/voice?t=abc.def']) {
      const r = await a.inject({
        method: 'POST',
        url,
        payload: new URLSearchParams(params).toString(),
        headers: {
          'content-type': 'text/plain',
          'x-twilio-signature': twilioSign('tok', `https://soar.example${url}`, params),
        },
      });
      expect(r.statusCode).toBe(415);
    }
    expect(
      (
        await a.inject({
          method: 'POST',
          url: '/v1/twilio/sms',
          payload: 'From=%2B1&Body=YES+1234',
          headers: form,
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await a.inject({
          method: 'POST',
          url: '/v1/twilio/sms',
          payload: 'From=%2B1&Body=YES+1234',
          headers: { ...form, 'x-twilio-signature': 'AAAA' },
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await a.inject({
          method: 'POST',
          url: '/v1/twilio/voice?t=abc.def',
          payload: 'Digits=1',
          headers: { ...form, 'x-twilio-signature': 'AAAA' },
        })
      ).statusCode,
    ).toBe(403);
    expect((await a.inject({ method: 'GET', url: '/v1/links?t=nonsense' })).statusCode).toBe(400);
    expect((await a.inject({ method: 'GET', url: '/v1/links?t=abc.def' })).statusCode).toBe(403);
    expect((await a.inject({ method: 'GET', url: '/v1/links?t=' + 'a'.repeat(3000) })).statusCode).toBe(400);
    expect(
      (await a.inject({ method: 'POST', url: '/v1/links?t=abc.def', payload: '', headers: form })).statusCode,
    ).toBe(403);
    await a.close();
  });
});

describe('interaction routes: documentation', () => {
  it('every route has a schema that says what it is (the OpenAPI document is generated from them)', async () => {
    const a = Fastify();
    const seen: Array<{ route: string; summary?: string }> = [];
    a.addHook('onRoute', (r) => {
      if (r.method === 'HEAD') return;
      seen.push({
        route: `${String(r.method)} ${r.url}`,
        summary: (r.schema as { summary?: string })?.summary,
      });
    });
    await a.register(interactionRoutes, { client, org: () => org, cfg: {} });
    await a.ready();
    expect(seen.map((s) => s.route).sort()).toEqual([
      'GET /v1/links',
      'POST /v1/links',
      'POST /v1/slack/interactions',
      'POST /v1/twilio/sms',
      'POST /v1/twilio/voice',
    ]);
    expect(seen.filter((s) => !s.summary)).toEqual([]);
  });
});
