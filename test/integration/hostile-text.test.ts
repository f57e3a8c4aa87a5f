// A detection whose device name, title, user and file names are hostile goes through the whole server:
// intake, a real playbook run, and the real channel activities against the protocol-faithful fakes.
// Every channel must show the text literally: no Slack mention or link, no Markdown link in a Teams
// card, no markup in an email, no hidden or reordering characters anywhere, and a call that says the
// words and gathers exactly what we ask.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Worker } from '@temporalio/worker';
import { createBlastRadiusActivities } from '../../activities/blast-radius';
import { createChannelActivities } from '../../activities/channels';
import { type ChannelConfig } from '../../integrations/channels-config';
import type { OrgIR } from '../../core/ir';
import { buildServer } from '../../server/app';
import { interactionRoutes } from '../../server/interactions';
import { createLogger } from '../../platform/logger';
import { createMetrics } from '../../platform/metrics';
import { PlaybookRegistry } from '../../intake/registry';
import { stateQuery } from '../../workflows/messages';
import { ensureSearchAttributes } from '../../platform/temporal/search-attributes';
import { until } from '../fakes/http';
import { slackFormatted, slackSequences, startFakeSlack, type FakeSlack } from '../fakes/slack';
import { startFakeSmtp, type FakeSmtp } from '../fakes/smtp';
import { cardMarkdown, markdownLinks, startFakeTeams, type FakeTeams } from '../fakes/teams';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio';
import { FIXTURES } from '../support/playbooks';
import { createTestWorker, testClient, uniqueTaskQueue } from '../support/temporal';

const TOKEN = 'hostile-test-token';
const BOT = 'xoxb-hostile';
const SID = 'AC' + 'f'.repeat(32);
const AUTH = 'twilio-auth-token-hostile';

const RLO = '\u202e';
const uid = `${Date.now()}`;
const hostile = {
  title: `Ransom <!channel> [md](https://evil.example) <https://evil.example|click> & *bold* <script>alert(1)</script>\nBcc: evil@example.com ${uid}`,
  device: `web-01<@U01ANA>${RLO}gpj.exe`,
  user: `](https://evil.example) <img src=x onerror=alert(1)> <!here>`,
  files: [`invoice${RLO}fdp.exe`, `a&b <b>bold</b>\u0007.txt`],
};

let slack: FakeSlack;
let twilio: FakeTwilio;
let teams: FakeTeams;
let smtp: FakeSmtp;
let client: Client;
let connection: Connection;
let app: FastifyInstance;
let base: string;
const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Our own URLs, the only ones a message may carry: signed links, and the run's page in the console. */
const LINK_URL = () => `${escaped(base)}/v1/links\\?t=[\\w.-]+`;
const CONSOLE_URL = () => `${escaped(base)}/console/run\\?id=[\\w%.-]+(#[\\w-]+)?`;
let worker: { worker: Worker; done: Promise<void>; close: () => Promise<void> };

beforeAll(async () => {
  [slack, twilio, teams, smtp] = await Promise.all([
    startFakeSlack({ token: BOT, channels: ['C0SOC0001'] }),
    startFakeTwilio({ accountSid: SID, authToken: AUTH }),
    startFakeTeams(),
    startFakeSmtp(),
  ]);
  ({ client, connection } = await testClient());
  await ensureSearchAttributes(connection, 'default');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nightshift-hostile-'));
  fs.cpSync(path.join(FIXTURES, 'hostile'), dir, { recursive: true });
  const registry = new PlaybookRegistry(path.join(dir, 'nightshift.yaml'), [path.join(dir, 'playbooks')]);
  const loaded = registry.reload();
  expect(loaded.diagnostics).toEqual([]);
  const taskQueue = uniqueTaskQueue('hostile');
  const cfg: ChannelConfig = {
    linkSecret: 'hostile-link-secret-0123456789abcdef',
    slack: { botToken: BOT, signingSecret: 'hostile-signing-secret', apiUrl: slack.apiUrl, retries: 0 },
    twilio: { accountSid: SID, authToken: AUTH, from: '+15550000000', apiBase: twilio.url },
    email: { smtpUrl: smtp.url, from: 'Nightshift <nightshift@example.com>' },
  };
  const org = () => registry.current.org as OrgIR;
  app = await buildServer({
    client,
    registry,
    namespace: 'default',
    taskQueue,
    logger: createLogger('silent'),
    metrics: createMetrics(),
    apiTokens: [TOKEN],
    plugins: [(a) => interactionRoutes(a, { client, org, cfg })],
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  cfg.publicUrl = base;
  const w = await createTestWorker({
    taskQueue,
    activities: {
      ...createChannelActivities(cfg, { env: { TEAMS_SOC: teams.webhook('soc') }, org }),
      ...createBlastRadiusActivities(client, taskQueue),
    },
  });
  worker = { worker: w.worker, done: w.worker.run(), close: () => w.connection.close() };
}, 60_000);

afterAll(async () => {
  worker?.worker.shutdown();
  await worker?.done;
  await worker?.close();
  await app?.close();
  await connection?.close();
  await Promise.all([slack?.close(), twilio?.close(), teams?.close(), smtp?.close()]);
});

async function api(method: 'POST', url: string, body: unknown) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function eventually<T>(fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`not reached in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Characters that hide or reorder text, or that XML and terminals cannot carry. */
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/;

jest.setTimeout(90_000);

test('hostile detection text reaches every channel inert', async () => {
  const posted = await api('POST', '/v1/detections', {
    id: `hostile-${uid}`,
    title: hostile.title,
    severity: 'high',
    status: 'confirmed',
    detected_at: '2026-11-22T03:01:07Z',
    devices: [{ id: `dev-${uid}`, name: hostile.device }],
    users: [{ name: hostile.user }],
    evidence: { files: hostile.files.map((name) => ({ name })) },
  });
  expect(posted.status).toBe(202);
  const workflowId = (posted.body.runs as Array<{ workflowId: string }>)[0].workflowId;
  const handle = client.workflow.getHandle(workflowId);

  // notify + approval everywhere; then approve (the decision is shown everywhere), then the page.
  const st = await eventually(async () => {
    const s = await handle.query(stateQuery);
    return s.pendingApprovals.length === 1 ? s : undefined;
  });
  await until(
    () =>
      slack.messages.length >= 2 &&
      teams.cards.length >= 2 &&
      smtp.mails.length >= 4 &&
      twilio.messages.length >= 2 &&
      twilio.calls.length >= 1,
    30_000,
  );
  const decided = await api('POST', '/v1/approvals', {
    approvalId: st.pendingApprovals[0].approvalId,
    person: 'ana',
    outcome: 'approved',
  });
  expect(decided.status).toBe(200);
  const paged = await eventually(async () => {
    const s = await handle.query(stateQuery);
    return s.pendingPages.length === 1 ? s : undefined;
  });
  await until(() => twilio.calls.length >= 2 && slack.messages.length >= 3 && smtp.mails.length >= 7, 30_000);
  await api('POST', '/v1/acks', { pageId: paged.pendingPages[0].pageId, person: 'ana' });
  await handle.result();
  // The decision was shown on Slack (the approval message edited) and Teams (a follow-up card).
  await until(() => slack.messages.some((m) => m.updates > 0) && teams.cards.length >= 3, 30_000);

  // Slack: the fallback text and every mrkdwn text. The only control sequences are ours (approver
  // mentions, dates); the hostile ones arrive as escaped text.
  expect(slack.messages.length).toBeGreaterThanOrEqual(3);
  for (const m of slack.messages) {
    const texts = slackFormatted(m);
    expect(texts.length).toBeGreaterThan(0);
    for (const t of texts) {
      // Ours: approver mentions, dates, and the link to the run in the console.
      for (const seq of slackSequences(t))
        expect(seq).toMatch(
          new RegExp(`^<@U01ANA>$|^<!date\\^\\d+\\^|^<${CONSOLE_URL()}\\|Open in the console>$`),
        );
      expect(t).not.toMatch(HIDDEN);
    }
    expect(texts.join('\n')).toContain('&lt;!channel&gt;');
    expect(texts.join('\n')).not.toContain('<https://evil');
  }

  // Teams: no Markdown link in any card; the only links are our signed approval links.
  expect(teams.cards.length).toBeGreaterThanOrEqual(3);
  for (const { card } of teams.cards) {
    const texts = cardMarkdown(card);
    for (const t of texts) {
      expect({ text: t, links: markdownLinks(t) }).toEqual({ text: t, links: [] });
      expect(t).not.toMatch(HIDDEN);
    }
    expect(texts.join('\n')).toContain('\\[md\\]\\(https://evil.example\\)');
    const urls = JSON.stringify(card).match(/"url":"[^"]*"/g) ?? [];
    for (const u of urls) expect(u).toMatch(new RegExp(`^"url":"(${LINK_URL()}|${CONSOLE_URL()})"$`));
  }

  // Email: HTML has only our own elements and links; the text part and the headers carry nothing hidden
  // and no injected header.
  expect(smtp.mails).toHaveLength(7); // notify 2, approval 2, decision 2, page 1
  for (const mail of smtp.mails) {
    expect(mail.to).toHaveLength(1);
    expect(mail.header('Bcc')).toBeUndefined();
    const { text, html } = mail.parts();
    expect(html).toBeDefined();
    const tags = new Set([...html!.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1].toLowerCase()));
    for (const tag of tags) expect(['html', 'body', 'h2', 'p', 'a', 'strong']).toContain(tag);
    for (const [, href] of html!.matchAll(/<a href="([^"]*)"/g))
      expect(href).toMatch(new RegExp(`^(${LINK_URL()}|${CONSOLE_URL()})$`));
    expect(html).toContain('&#60;'); // the hostile markup, as text
    expect(text).toBeDefined();
    const lf = text!.replace(/\r\n/g, '\n'); // MIME lines end in CRLF
    expect(lf).not.toMatch(HIDDEN);
    expect(lf).toMatch(/<(script|img|b)[ >]/); // literal in plain text, as typed
    expect(lf).not.toContain('&#60;');
  }

  // SMS: one line of plain text, nothing hidden.
  expect(twilio.messages.length).toBeGreaterThanOrEqual(4);
  for (const m of twilio.messages) {
    expect(m.body).not.toMatch(HIDDEN);
    expect(m.body).not.toContain('\n');
    expect(m.body).toContain('\ufffd'); // the bidi override and the bell, made visible
  }

  // Voice: well-formed TwiML whose only verbs are ours; the words are XML-escaped text.
  expect(twilio.calls.length).toBe(2);
  for (const call of twilio.calls) {
    const elements = [...call.twiml.matchAll(/<([A-Za-z]+)[\s>/]/g)].map((m) => m[1]);
    expect(new Set(elements)).toEqual(new Set(['Response', 'Gather', 'Say', 'Pause']));
    expect(elements.filter((e) => e === 'Gather')).toHaveLength(1);
    expect(call.twiml).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(call.twiml).not.toMatch(HIDDEN);
  }
});
