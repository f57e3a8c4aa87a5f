// The whole approval loop on a real Temporal server with protocol-faithful fakes: asked on Slack,
// Teams, email and SMS → answered by a permitted person → the run continues → every channel shows the
// decision. Forged, stale, replayed and unpermitted answers are refused with nothing changed, and two
// answers on two channels at once yield exactly one decision. Every delivery step fails once right
// after it succeeds (fault injection), so each test also proves that retries never post twice.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Connection } from '@temporalio/client';
import { createChannelActivities } from '../../activities/channels';
import { type ChannelConfig } from '../../integrations/channels-config';
import type { Recipient } from '../../core/effects';
import type { OrgIR, PersonIR } from '../../core/ir';
import { interactionRoutes } from '../../server/interactions';
import { createMetrics } from '../../platform/metrics';
import { signLink } from '../../integrations/links';
import { stateQuery } from '../../workflows/messages';
import { ensureSearchAttributes } from '../../platform/temporal/search-attributes';
import { until } from '../fakes/http';
import { signedClick, startFakeSlack, type FakeSlack } from '../fakes/slack';
import {
  inboundSms,
  pressDigits,
  startFakeTwilio,
  twilioSign,
  twilioWebhook,
  type FakeTwilio,
} from '../fakes/twilio';
import { startFakeTeams, type FakeTeams } from '../fakes/teams';
import { startFakeSmtp, type FakeSmtp } from '../fakes/smtp';
import { temporalAddress, testClient, uniqueTaskQueue } from '../support/temporal';
import type {
  ApprovalTestInput,
  channelsApprovalTest,
  channelsPageTest,
  PageTestInput,
} from './channels-support/workflows';

const SIGNING = 'slack-signing-secret-for-tests';
const BOT = 'xoxb-test-token';
const SID = 'AC' + '0'.repeat(32);
const AUTH = 'twilio-auth-token-for-tests';
const FROM = '+15550000000';
const LINK_SECRET = 'link-secret-for-tests-0123456789abcdef';

const ana: PersonIR = {
  id: 'ana',
  name: 'Ana Ruiz',
  slack: 'U01ANA',
  phone: '+15555550101',
  email: 'ana@example.com',
};
const ben: PersonIR = {
  id: 'ben',
  name: 'Ben Oduya',
  slack: 'U01BEN',
  phone: '+15555550102',
  email: 'ben@example.com',
};
const cho: PersonIR = {
  id: 'cho',
  name: 'Cho Min',
  slack: 'U01CHO',
  phone: '+15555550103',
  email: 'cho@example.com',
};
const dan: PersonIR = { id: 'dan', name: 'Dan Pike', phone: '+15555550104' };
const eve: PersonIR = { id: 'eve', name: 'Eve Lind', phone: '+15555550105' };

const org: OrgIR = {
  irVersion: 1,
  calendars: {},
  people: { ana, ben, cho, dan, eve },
  rotations: {},
  groups: {},
  channels: {
    'soc-slack': { kind: 'slack', channel: 'C0SOC0001' },
    'soc-teams': { kind: 'teams', webhook: { env: 'TEAMS_SOC' } },
    'soc-email': { kind: 'email', to: ['ana@example.com', 'ben@example.com', 'soc@example.com'] },
  },
  policy: {},
  hash: 'test',
};
const ch = (id: string): Recipient => ({ type: 'channel', id, channel: org.channels[id] });

let slack: FakeSlack;
let twilio: FakeTwilio;
let teams: FakeTeams;
let smtp: FakeSmtp;
let app: FastifyInstance;
let base: string;
let client: Client;
let connection: Connection;
let worker: Worker;
let workerConn: NativeConnection;
let running: Promise<void>;
let taskQueue: string;
/** What a further worker of the test workflows needs (the answer-while-no-worker test starts its own). */
let workerParts: Pick<Parameters<typeof Worker.create>[0], 'activities' | 'workflowBundle'>;
const injected = new Set<string>();
const metrics = createMetrics();
const warnings: Array<{ obj: object; msg?: string }> = [];
const captureLog = {
  info() {},
  warn: (obj: object, msg?: string) => warnings.push({ obj, msg }),
  error() {},
};
/** The activities' info lines: one per real delivery (the effect log). */
const effects: Array<Record<string, unknown> & { msg?: string }> = [];
const effectLog = {
  info: (obj: object, msg?: string) => effects.push({ ...obj, msg }),
  warn() {},
  error() {},
};

beforeAll(async () => {
  [slack, twilio, teams, smtp] = await Promise.all([
    startFakeSlack({ token: BOT, channels: ['C0SOC0001'] }),
    startFakeTwilio({ accountSid: SID, authToken: AUTH }),
    startFakeTeams(),
    startFakeSmtp(),
  ]);
  ({ client, connection } = await testClient());
  await ensureSearchAttributes(connection, 'default');
  app = Fastify();
  const cfg: ChannelConfig = {
    linkSecret: LINK_SECRET,
    slack: { botToken: BOT, signingSecret: SIGNING, apiUrl: slack.apiUrl, retries: 0 },
    twilio: { accountSid: SID, authToken: AUTH, from: FROM, apiBase: twilio.url, webhookKey: AUTH },
    email: { smtpUrl: smtp.url, from: 'Nightshift <nightshift@example.com>' },
  };
  // The public URL is only known once listening; the routes read cfg at request time.
  await app.register(interactionRoutes, { client, org: () => org, cfg, metrics, log: captureLog });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  cfg.publicUrl = base;
  const activities = createChannelActivities(cfg, {
    env: { TEAMS_SOC: teams.webhook('soc') },
    org: () => org,
    log: effectLog,
    afterDelivery(step, key) {
      const id = `${key}#${step}`;
      if (injected.has(id)) return;
      injected.add(id);
      throw new Error(`injected fault after ${step}`);
    },
  });
  taskQueue = uniqueTaskQueue('channels');
  try {
    // The injected faults would fill the output with activity-failure logs.
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Installed already in this process.
  }
  workerConn = await NativeConnection.connect({ address: temporalAddress() });
  workerParts = {
    activities,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: require.resolve('./channels-support/workflows'),
      logger: new DefaultLogger('WARN'),
    }),
  };
  worker = await Worker.create({ connection: workerConn, taskQueue, ...workerParts });
  running = worker.run();
}, 60_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await workerConn?.close();
  await connection?.close();
  await app?.close();
  await Promise.all([slack?.close(), twilio?.close(), teams?.close(), smtp?.close()]);
});

function startApproval(input: ApprovalTestInput, queue = taskQueue) {
  return client.workflow.start<typeof channelsApprovalTest>('channelsApprovalTest', {
    taskQueue: queue,
    workflowId: `appr-${randomUUID()}`,
    args: [input],
  });
}

async function click(
  user: string,
  msg: { channel: string; ts: string },
  actionId: string,
  value: string,
  extra: Partial<Parameters<typeof signedClick>[0]> = {},
) {
  const { body, headers } = signedClick({
    signingSecret: SIGNING,
    user,
    channel: msg.channel,
    ts: msg.ts,
    actionId,
    value,
    ...extra,
  });
  const res = await fetch(`${base}/v1/slack/interactions`, { method: 'POST', body, headers });
  return { status: res.status, text: await res.text() };
}

const code = () => String(1000 + Math.floor(Math.random() * 9000));

describe('channels: approvals end to end', () => {
  it('asks everywhere, refuses forged/stale/unpermitted clicks, takes a permitted one, shows it everywhere', async () => {
    const c = code();
    const question = 'Isolate host web-01?';
    const handle = await startApproval({
      code: c,
      question,
      asks: [ch('soc-slack'), ch('soc-teams'), ch('soc-email'), { type: 'person', person: dan }],
      approvers: [ana, ben, dan],
    });
    const approvalId = `${handle.workflowId}|approval|1`;
    const msg = await until(() =>
      slack.messages.find((m) =>
        m.blocks.some((b) =>
          (b as { elements?: Array<{ value?: string }> }).elements?.some((e) => e.value === approvalId),
        ),
      ),
    );
    await until(
      () =>
        teams.cards.length >= 1 &&
        smtp.mails.filter((m) => m.raw.includes(handle.workflowId.slice(0, 20))).length >= 3 &&
        twilio.messages.some((m) => m.to === dan.phone && m.body.includes(`YES ${c}`)),
    );
    const pending = async () => (await handle.query(stateQuery)).pendingApprovals.length;

    // Forged (wrong secret), stale (signed 10 minutes ago), and altered requests: 401, nothing changes.
    const forged = signedClick({
      signingSecret: 'wrong',
      user: 'U01ANA',
      channel: msg.channel,
      ts: msg.ts,
      actionId: 'approval.approve',
      value: approvalId,
    });
    expect((await fetch(`${base}/v1/slack/interactions`, { method: 'POST', ...forged })).status).toBe(401);
    expect(
      (
        await click('U01ANA', msg, 'approval.approve', approvalId, {
          timestamp: Math.floor(Date.now() / 1000) - 600,
        })
      ).status,
    ).toBe(401);
    const ok = signedClick({
      signingSecret: SIGNING,
      user: 'U01CHO',
      channel: msg.channel,
      ts: msg.ts,
      actionId: 'approval.approve',
      value: approvalId,
    });
    const tampered = ok.body.replace('U01CHO', 'U01ANA');
    const t = await fetch(`${base}/v1/slack/interactions`, {
      method: 'POST',
      body: tampered,
      headers: ok.headers,
    });
    expect(t.status).toBe(401);
    expect(await t.text()).toMatch(/invalid X-Slack-Signature/);
    expect(await pending()).toBe(1);

    // Unpermitted person (cho) and unknown Slack user: 200 + ephemeral explanation, nothing changes.
    expect((await click('U01CHO', msg, 'approval.approve', approvalId)).status).toBe(200);
    expect((await click('U09NOBODY', msg, 'approval.approve', approvalId)).status).toBe(200);
    await until(() => slack.ephemerals.length >= 2);
    expect(slack.ephemerals.find((e) => e.user === 'U01CHO')?.text).toMatch(/cho is not an approver/);
    expect(slack.ephemerals.find((e) => e.user === 'U09NOBODY')?.text).toMatch(
      /not a person of nightshift.yaml/,
    );
    expect(await pending()).toBe(1);

    // Ana approves: the run continues.
    expect((await click('U01ANA', msg, 'approval.approve', approvalId)).status).toBe(200);
    const { decision, messages } = await handle.result();
    expect(decision).toMatchObject({
      outcome: 'approved',
      decidedBy: 'ana',
      channel: 'slack',
      timedOut: false,
    });
    expect(messages.map((m) => m.channel).sort()).toEqual(['email', 'slack', 'sms', 'teams']);

    // Ben clicks afterwards: already decided, explained, nothing changes.
    await click('U01BEN', msg, 'approval.deny', approvalId);
    await until(() => slack.ephemerals.find((e) => e.user === 'U01BEN'));
    expect(slack.ephemerals.find((e) => e.user === 'U01BEN')?.text).toMatch(/already decided|has finished/);

    // Every channel shows the decision, exactly once (each delivery failed once after succeeding).
    const posted = slack.messages.filter((m) => m.text?.includes(question));
    expect(posted).toHaveLength(1);
    expect(msg.updates).toBe(1);
    expect(JSON.stringify(msg.blocks)).not.toContain('"actions"');
    expect(JSON.stringify(msg.blocks)).toMatch(/Approved by <@U01ANA> \(Ana Ruiz\) via slack at <!date\^\d+/);
    const cards = teams.cards.filter((x) => JSON.stringify(x.card).includes(question));
    expect(cards).toHaveLength(2);
    expect(JSON.stringify(cards[1].card)).toMatch(/Approved by Ana Ruiz via slack/);
    const mails = smtp.mails.filter((m) => m.decoded.includes(question));
    expect(mails).toHaveLength(6);
    const firstAna = mails.find((m) => m.to[0] === 'ana@example.com' && !m.header('In-Reply-To'))!;
    const followAna = mails.find((m) => m.to[0] === 'ana@example.com' && m.header('In-Reply-To'))!;
    expect(followAna.header('In-Reply-To')).toBe(firstAna.header('Message-ID'));
    expect(followAna.decoded).toMatch(/Approved by Ana Ruiz via slack/);
    // The shared mailbox is no approver: its mail carries no links.
    const soc = mails.find((m) => m.to[0] === 'soc@example.com' && !m.header('In-Reply-To'))!;
    expect(soc.decoded).not.toContain('/v1/links');
    expect(twilio.messages.filter((m) => m.to === dan.phone && m.body.includes(question))).toHaveLength(2);
    expect(twilio.messages.filter((m) => m.to === dan.phone).at(-1)?.body).toMatch(
      /Approved by Ana Ruiz via slack/,
    );

    // One info line per real delivery, despite the injected failure after each: kind, op, run, step,
    // ids — and no secret (bot token, Twilio token, Teams webhook sig, link secret) in any of them.
    const mine = effects.filter((e) => e.run === handle.workflowId);
    const count = (effect: string, op: string) =>
      mine.filter((e) => e.effect === effect && e.op === op).length;
    expect({
      slackPost: count('slack.post', 'askApproval'),
      slackUpdate: count('slack.update', 'approvalResolved'),
      teams: [count('teams.post', 'askApproval'), count('teams.post', 'approvalResolved')],
      email: [count('email.send', 'askApproval'), count('email.send', 'approvalResolved')],
      sms: [count('sms.send', 'askApproval'), count('sms.send', 'approvalResolved')],
    }).toEqual({ slackPost: 1, slackUpdate: 1, teams: [1, 1], email: [3, 3], sms: [1, 1] });
    expect(mine.find((e) => e.effect === 'slack.post')).toEqual({
      effect: 'slack.post',
      run: handle.workflowId,
      step: 'approval',
      playbook: 'contain-host',
      op: 'askApproval',
      channel: msg.channel,
      ts: msg.ts,
      msg: 'effect slack.post',
    });
    expect(mine.find((e) => e.effect === 'teams.post')).toMatchObject({ channel: 'soc-teams' });
    const text = JSON.stringify(mine);
    for (const secret of [BOT, AUTH, LINK_SECRET, 'sig=', SIGNING]) expect(text).not.toContain(secret);
  });

  it('email links: GET/HEAD change nothing, POST decides once, tampered/expired/replayed links are refused', async () => {
    const c = code();
    const question = `Block indicator ${c}?`;
    const handle = await startApproval({ code: c, question, asks: [ch('soc-email')], approvers: [ana, ben] });
    const approvalId = `${handle.workflowId}|approval|1`;
    const benMail = await until(() =>
      smtp.mails.find((m) => m.to[0] === 'ben@example.com' && m.decoded.includes(question)),
    );
    const links = [...benMail.decoded.matchAll(/http:\/\/127\.0\.0\.1:\d+\/v1\/links\?t=[\w.-]+/g)].map(
      (m) => m[0],
    );
    const [approve, deny] = [...new Set(links)];
    expect(approve).toBeDefined();
    expect(deny).toBeDefined();

    // A mail scanner opening the links decides nothing.
    for (const url of [approve, deny]) {
      expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
      const g = await fetch(url);
      expect(g.status).toBe(200);
      expect(g.headers.get('cache-control')).toBe('no-store');
      expect(await g.text()).toMatch(/answering as <strong>Ben Oduya<\/strong>.*<form method="post">/s);
    }
    expect((await handle.query(stateQuery)).pendingApprovals).toHaveLength(1);

    // Tampered and expired tokens.
    const token = new URL(deny).searchParams.get('t')!;
    const [claims, mac] = token.split('.');
    const asAna = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(claims, 'base64url').toString()), sub: 'ana' }),
    ).toString('base64url');
    expect((await fetch(`${base}/v1/links?t=${asAna}.${mac}`, { method: 'POST' })).status).toBe(403);
    const expired = signLink(LINK_SECRET, {
      k: 'decide',
      id: approvalId,
      sub: 'ben',
      out: 'approved',
      exp: Math.floor(Date.now() / 1000) - 1,
      ch: 'email',
    });
    expect((await fetch(`${base}/v1/links?t=${expired}`, { method: 'POST' })).status).toBe(410);
    // A link for someone who is no approver is refused by the validator.
    const choLink = signLink(LINK_SECRET, {
      k: 'decide',
      id: approvalId,
      sub: 'cho',
      out: 'approved',
      exp: Math.floor(Date.now() / 1000) + 60,
      ch: 'email',
    });
    const r0 = await fetch(`${base}/v1/links?t=${choLink}`, { method: 'POST' });
    expect(r0.status).toBe(409);
    expect(await r0.text()).toMatch(/cho is not an approver/);
    expect((await handle.query(stateQuery)).pendingApprovals).toHaveLength(1);

    // Ben confirms "deny".
    const r1 = await fetch(deny, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(r1.status).toBe(200);
    expect(await r1.text()).toMatch(/Recorded: <strong>denied/);
    const { decision } = await handle.result();
    expect(decision).toMatchObject({ outcome: 'denied', decidedBy: 'ben', channel: 'email' });

    // Replays after the decision: refused, and the GET no longer offers a form.
    const r2 = await fetch(deny, { method: 'POST' });
    expect(r2.status).toBeGreaterThanOrEqual(404);
    expect((await fetch(approve, { method: 'POST' })).status).toBeGreaterThanOrEqual(404);
    expect(await (await fetch(approve)).text()).not.toContain('<form');
  });

  it('SMS replies: refusals explained, and two answers on two channels at once yield one decision', async () => {
    const c = code();
    const handle = await startApproval({
      code: c,
      question: `Release host ${c}?`,
      asks: [ch('soc-slack'), { type: 'person', person: dan }],
      approvers: [ana, dan],
    });
    const approvalId = `${handle.workflowId}|approval|1`;
    const msg = await until(() => slack.messages.find((m) => JSON.stringify(m.blocks).includes(approvalId)));
    await until(() => twilio.messages.find((m) => m.to === dan.phone && m.body.includes(`YES ${c}`)));
    const smsUrl = `${base}/v1/twilio/sms`;
    const sms = (from: string, body: string) =>
      inboundSms({ url: smsUrl, authToken: AUTH, from, to: FROM, body, accountSid: SID });

    // Bad signature, signature for another URL: refused before anything else.
    const bad = await twilioWebhook(
      smsUrl,
      AUTH,
      { From: dan.phone!, Body: `YES ${c}` },
      { signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
    );
    expect(bad.status).toBe(403);
    const otherUrl = await twilioWebhook(
      smsUrl,
      AUTH,
      { From: dan.phone!, Body: `YES ${c}` },
      {
        signature: twilioSign(AUTH, 'https://elsewhere.example/v1/twilio/sms', {
          From: dan.phone!,
          Body: `YES ${c}`,
        }),
      },
    );
    expect(otherUrl.status).toBe(403);
    expect((await sms('+15559999999', `YES ${c}`)).body).toMatch(/not registered/);
    expect((await sms(dan.phone!, 'YES')).body).toMatch(/reply YES &lt;code&gt;|reply YES <code>/);
    expect((await sms(dan.phone!, 'YES 0000')).body).toMatch(/no pending request of yours has code 0000/);
    // The right code with the verb of a page: told what the code is for.
    expect((await sms(dan.phone!, `ACK ${c}`)).body).toContain(
      `Nightshift: ${c} is an approval: reply YES ${c} to approve or NO ${c} to deny.`,
    );
    expect((await sms(cho.phone!, `YES ${c}`)).body).toMatch(/cho is not an approver/);
    expect((await handle.query(stateQuery)).pendingApprovals).toHaveLength(1);

    // Dan by SMS and Ana in Slack, at the same time.
    const [smsRes, slackRes] = await Promise.all([
      sms(dan.phone!, ` yes  ${c} `),
      click('U01ANA', msg, 'approval.deny', approvalId),
    ]);
    expect(slackRes.status).toBe(200);
    const { decision } = await handle.result();
    const smsWon = /recorded \(approved\)/.test(smsRes.body);
    expect(decision).toMatchObject(
      smsWon
        ? { outcome: 'approved', decidedBy: 'dan', channel: 'sms' }
        : { outcome: 'denied', decidedBy: 'ana', channel: 'slack' },
    );
    // The loser is told who answered first, however late its answer arrived.
    if (!smsWon) expect(smsRes.body).toMatch(/already denied by Ana Ruiz via slack\./);
    else
      await until(() =>
        slack.ephemerals.find(
          (e) => e.user === 'U01ANA' && /already approved by Dan Pike via sms/.test(e.text),
        ),
      );
    const history = await handle.fetchHistory();
    const accepted = history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(accepted).toHaveLength(1);
  });
});

describe('channels: a late SMS answer', () => {
  it('after the decision is recorded, a late YES is told who decided, not "no pending request"', async () => {
    const c = code();
    const handle = await startApproval({
      code: c,
      question: `Release host ${c}?`,
      asks: [ch('soc-slack'), { type: 'person', person: dan }],
      approvers: [ana, dan],
      holdMs: 30_000,
    });
    try {
      const approvalId = `${handle.workflowId}|approval|1`;
      const msg = await until(() =>
        slack.messages.find((m) => JSON.stringify(m.blocks).includes(approvalId)),
      );
      expect((await click('U01ANA', msg, 'approval.deny', approvalId)).status).toBe(200);
      // Wait until visibility no longer lists the code as pending: the SMS arrives after that.
      const listed = async (workflowId: string, value: string) => {
        const q = `WorkflowId = '${workflowId}' AND NightshiftPendingCodes = '${value}'`;
        for await (const _wf of client.workflow.list({ query: q })) return true;
        return false;
      };
      const visibly = async (ok: () => Promise<boolean>, what: string) => {
        const deadline = Date.now() + 15_000;
        while (!(await ok())) {
          if (Date.now() > deadline) throw new Error(`visibility did not ${what}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      await visibly(
        async () =>
          !(await listed(handle.workflowId, c)) && (await listed(handle.workflowId, `answered:${c}`)),
        'move the code to answered',
      );
      const danSaysYes = () =>
        inboundSms({
          url: `${base}/v1/twilio/sms`,
          authToken: AUTH,
          from: dan.phone!,
          to: FROM,
          body: `YES ${c}`,
          accountSid: SID,
        });
      expect((await danSaysYes()).body).toContain(
        `Nightshift: not recorded — ${c} was already denied by Ana Ruiz via slack.`,
      );
      // Someone who could not answer it learns nothing about it.
      const stranger = await inboundSms({
        url: `${base}/v1/twilio/sms`,
        authToken: AUTH,
        from: cho.phone!,
        to: FROM,
        body: `YES ${c}`,
        accountSid: SID,
      });
      expect(stranger.body).toContain(`no pending request of yours has code ${c}`);

      // Another run's pending request that happens to share the code, which Dan may not answer: his
      // reply is still about his own request.
      const other = await startApproval({
        code: c,
        question: `Release host ${c} (other run)?`,
        asks: [ch('soc-slack')],
        approvers: [ana],
      });
      try {
        await visibly(() => listed(other.workflowId, c), 'list the other run');
        expect((await danSaysYes()).body).toContain(
          `Nightshift: not recorded — ${c} was already denied by Ana Ruiz via slack.`,
        );
        expect((await other.query(stateQuery)).pendingApprovals).toHaveLength(1);
      } finally {
        await other.terminate('test done').catch(() => undefined);
      }
    } finally {
      await handle.terminate('test done').catch(() => undefined);
    }
  });
});

describe('channels: wrong SMS codes', () => {
  it('five wrong codes lock the number out: even the right code is then refused, logged once, counted', async () => {
    const c = code();
    const handle = await startApproval({
      code: c,
      question: `Block hash ${c}?`,
      asks: [{ type: 'person', person: eve }],
      approvers: [eve],
    });
    try {
      await until(() => twilio.messages.find((m) => m.to === eve.phone && m.body.includes(`YES ${c}`)));
      const sms = (body: string) =>
        inboundSms({
          url: `${base}/v1/twilio/sms`,
          authToken: AUTH,
          from: eve.phone!,
          to: FROM,
          body,
          accountSid: SID,
        });
      const wrong = [1, 2, 3, 4, 5].map((i) => String(((Number(c) + i * 7) % 9000) + 1000));
      for (const w of wrong.slice(0, 4))
        expect((await sms(`YES ${w}`)).body).toMatch(/no pending request of yours/);
      expect((await sms(`YES ${wrong[4]}`)).body).toMatch(
        /Too many wrong codes: SMS replies from this number are not accepted for 15 minutes/,
      );
      // Locked: the right code is refused too, with a reply that says nothing about codes.
      for (const body of [`YES ${c}`, `NO ${c}`, `YES ${wrong[0]}`]) {
        const r = await sms(body);
        expect(r.body).toContain(
          'too many wrong codes from this number; SMS replies are not accepted for a while',
        );
        expect(r.body).not.toContain(c);
      }
      expect((await handle.query(stateQuery)).pendingApprovals).toHaveLength(1);
      const locks = warnings.filter((w) => w.msg === 'SMS replies locked out after too many wrong codes');
      expect(locks).toEqual([{ obj: { person: 'eve', minutes: 15 }, msg: expect.any(String) }]);
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/^nightshift_sms_lockouts_total 1$/m);
      expect(Number(/^nightshift_sms_wrong_codes_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(5);
    } finally {
      await handle.terminate('test done').catch(() => undefined);
    }
  });
});

describe('channels: approval by phone call', () => {
  it('calls an approver, reads the question, and a keypress 2 denies; another callee is refused', async () => {
    const c = code();
    const handle = await client.workflow.start<typeof channelsApprovalTest>('channelsApprovalTest', {
      taskQueue,
      workflowId: `voice-approval-${randomUUID()}`,
      args: [
        {
          code: c,
          question: `Isolate dc-0${c}?`,
          asks: [{ type: 'person', person: ana }],
          approvers: [ana],
          via: 'voice',
        },
      ],
    });
    const call = await until(() => twilio.calls.find((x) => x.twiml.includes(`dc-0${c}`)));
    expect(call.to).toBe(ana.phone);
    expect(call.twiml).toMatch(/Press 1 to approve\. Press 2 to deny\./);
    // Authentic requests that are refused are answered 200 with spoken TwiML: Twilio does not play
    // the TwiML of an error status, and the caller would hear a generic failure instead.
    const other = await pressDigits(call, '2', { authToken: AUTH, accountSid: SID, to: ben.phone });
    expect(other.status).toBe(200);
    expect(other.body).toMatch(/<Say>This call is not for a registered approver\. Nothing was recorded/);
    const expiredToken = signLink(LINK_SECRET, {
      k: 'voice',
      id: `${handle.workflowId}|approval|1`,
      sub: 'ana',
      q: 'approval',
      tel: ana.phone,
      exp: Math.floor(Date.now() / 1000) - 1,
    });
    const expiredCall = { ...call, twiml: `<Gather action="${base}/v1/twilio/voice?t=${expiredToken}">` };
    const expired = await pressDigits(expiredCall, '1', { authToken: AUTH, accountSid: SID });
    expect(expired.status).toBe(200);
    expect(expired.body).toMatch(/<Say>This call can no longer be answered\. Nothing was recorded/);
    expect((await handle.query(stateQuery)).pendingApprovals).toHaveLength(1);

    const pressed = await pressDigits(call, '2', { authToken: AUTH, accountSid: SID });
    expect(pressed.status).toBe(200);
    expect(pressed.body).toMatch(/<Say>Recorded: denied/);
    const { decision } = await handle.result();
    expect(decision).toMatchObject({ outcome: 'denied', decidedBy: 'ana', channel: 'voice' });
    expect(twilio.calls.filter((x) => x.twiml.includes(`dc-0${c}`))).toHaveLength(1);
    // A second call's keypress after the decision: refused, spoken, 200.
    const late = await pressDigits({ ...call, sid: `CA${'1'.repeat(32)}` }, '1', {
      authToken: AUTH,
      accountSid: SID,
    });
    expect(late.status).toBe(200);
    expect(late.body).toMatch(/<Say>Nothing was recorded: /);
  });
});

describe('channels: pages', () => {
  it('pages by SMS, voice, Slack and email; a keypress acknowledges; forged callbacks are refused', async () => {
    const c = code();
    const input: PageTestInput = {
      code: c,
      person: ana,
      via: ['sms', 'voice', 'slack', 'email'],
      message: `Isolated web-0${c}. Reply ACK.`,
    };
    const handle = await client.workflow.start<typeof channelsPageTest>('channelsPageTest', {
      taskQueue,
      workflowId: `page-${randomUUID()}`,
      args: [input],
    });
    const call = await until(() => twilio.calls.find((x) => x.twiml.includes(`web-0${c}`)));
    await until(
      () =>
        twilio.messages.find((m) => m.body.includes(`ACK ${c}`)) &&
        slack.messages.find((m) => m.text?.includes(`web-0${c}`)) &&
        smtp.mails.find((m) => m.decoded.includes(`web-0${c}`)),
    );
    expect(call.to).toBe(ana.phone);
    expect(call.twiml).toMatch(
      /<Gather numDigits="1" action="http:\/\/127\.0\.0\.1:\d+\/v1\/twilio\/voice\?t=[\w.-]+" method="POST"/,
    );
    // One of each, despite one injected failure per delivery.
    expect(twilio.calls.filter((x) => x.twiml.includes(`web-0${c}`))).toHaveLength(1);
    expect(twilio.messages.filter((m) => m.body.includes(`ACK ${c}`))).toHaveLength(1);
    // The playbook's own "Reply ACK." is not repeated: the instruction reads once, with the code; then
    // the page on the console.
    expect(twilio.messages.find((m) => m.body.includes(`web-0${c}`))?.body).toBe(
      `Nightshift PAGE: Isolated web-0${c}. Reply ACK ${c} to acknowledge. ${base}/console/run?id=${handle.workflowId}#i-page-1`,
    );
    expect(call.twiml).toContain(`<Say>Nightshift page. Isolated web-0${c}.</Say>`);
    // One effect line per delivery, with the Twilio SIDs.
    const paged = effects.filter((e) => e.run === handle.workflowId && e.op === 'page');
    expect(paged.map((e) => e.effect).sort()).toEqual(['email.send', 'slack.post', 'sms.send', 'voice.call']);
    expect(paged.find((e) => e.effect === 'voice.call')).toMatchObject({ to: ana.phone, sid: call.sid });
    // YES to a page code: told what the code is for.
    const yes = await inboundSms({
      url: `${base}/v1/twilio/sms`,
      authToken: AUTH,
      from: ana.phone!,
      to: FROM,
      body: `YES ${c}`,
      accountSid: SID,
    });
    expect(yes.body).toContain(`Nightshift: ${c} is a page: reply ACK ${c} to acknowledge.`);

    // A call answered on another number (authentic, refused: 200 and spoken), a forged token, a bad
    // signature (4xx): nothing recorded.
    const other = await pressDigits(call, '1', { authToken: AUTH, accountSid: SID, to: ben.phone });
    expect(other.status).toBe(200);
    expect(other.body).toMatch(/Nothing was recorded/);
    const forged = {
      ...call,
      twiml: call.twiml.replace(/voice\?t=([\w-]+)\.([\w-]+)/, (_m, a: string) => `voice?t=${a}.AAAA`),
    };
    expect((await pressDigits(forged, '1', { authToken: AUTH, accountSid: SID })).status).toBe(403);
    expect((await pressDigits(call, '1', { authToken: 'wrong', accountSid: SID })).status).toBe(403);
    expect((await handle.query(stateQuery)).pendingPages).toHaveLength(1);

    const pressed = await pressDigits(call, '1', { authToken: AUTH, accountSid: SID });
    expect(pressed.status).toBe(200);
    expect(pressed.body).toMatch(/<Say>Recorded: acknowledged/);
    expect(await handle.result()).toEqual({ ackedBy: 'ana', channel: 'voice' });
    const late = await inboundSms({
      url: `${base}/v1/twilio/sms`,
      authToken: AUTH,
      from: ana.phone!,
      to: FROM,
      body: `ACK ${c}`,
      accountSid: SID,
    });
    expect(late.body).toMatch(/not recorded/);
  });
});

describe('channels: an answer while no worker can take it', () => {
  it('is told Nightshift is slow (Slack) or not recorded yet (link), and is recorded once a worker is back: never lost', async () => {
    // A worker of its own, stopped while the approval waits: the run cannot accept the answer in time.
    const queue = uniqueTaskQueue('channels-down');
    const first = await Worker.create({ connection: workerConn, taskQueue: queue, ...workerParts });
    const firstRun = first.run();
    const handle = await startApproval(
      { code: code(), question: 'Isolate host db-02?', asks: [ch('soc-slack')], approvers: [ana] },
      queue,
    );
    const approvalId = `${handle.workflowId}|approval|1`;
    const msg = await until(() =>
      slack.messages.find((m) =>
        m.blocks.some((b) =>
          (b as { elements?: Array<{ value?: string }> }).elements?.some((e) => e.value === approvalId),
        ),
      ),
    );
    const byLink = await startApproval(
      { code: code(), question: 'Isolate host db-03?', asks: [ch('soc-email')], approvers: [ana] },
      queue,
    );
    await until(() => smtp.mails.find((m) => m.decoded.includes('Isolate host db-03?')), 15_000);
    first.shutdown();
    await firstRun;

    const before = slack.ephemerals.length;
    expect((await click('U01ANA', msg, 'approval.approve', approvalId)).status).toBe(200);
    const told = await until(() => slack.ephemerals.slice(before).find((e) => e.user === 'U01ANA'));
    expect(told.text).toMatch(/slow to answer/);
    const link = signLink(LINK_SECRET, {
      k: 'decide',
      id: `${byLink.workflowId}|approval|1`,
      sub: 'ana',
      out: 'approved',
      exp: Math.floor(Date.now() / 1000) + 600,
      ch: 'email',
    });
    const page = await fetch(`${base}/v1/links?t=${link}`, { method: 'POST' });
    expect(page.status).toBe(202);
    const text = await page.text();
    expect(text).toMatch(/Not recorded yet: the run is busy; Nightshift keeps submitting your answer/);
    expect(text).not.toMatch(/Nothing was changed/);

    const second = await Worker.create({ connection: workerConn, taskQueue: queue, ...workerParts });
    const secondRun = second.run();
    try {
      const { decision } = await handle.result();
      expect(decision).toMatchObject({ outcome: 'approved', decidedBy: 'ana', channel: 'slack' });
      expect((await byLink.result()).decision).toMatchObject({
        outcome: 'approved',
        decidedBy: 'ana',
        channel: 'email',
      });
    } finally {
      second.shutdown();
      await secondRun;
    }
  }, 90_000);
});
