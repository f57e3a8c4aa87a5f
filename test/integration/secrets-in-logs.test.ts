// No secret reaches a log line, whatever the route, method or status: every method to every route of
// the server `nightshift start` builds (interaction routes included) and to unknown routes, carrying a
// live signed-link token in the query and secrets in every header that can hold one, with the logger at
// its most verbose level. A link token in a log line would decide an approval for whoever reads it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { OrgIR } from '../../core/ir';
import { buildServer } from '../../server/app';
import { interactionRoutes } from '../../server/interactions';
import { signLink } from '../../integrations/links';
import { createLogger, secretValuesFromEnv } from '../../platform/logger';
import { PlaybookRegistry } from '../../intake/registry';
import { signBody } from '../../server/signature';
import { FIXTURES } from '../support/playbooks';
import { testClient, uniqueTaskQueue } from '../support/temporal';

const env = {
  NIGHTSHIFT_API_TOKENS: 'api-token-of-the-logs-test-0123456789',
  NIGHTSHIFT_WEBHOOK_SECRETS: 'webhook-secret-of-the-logs-test-0123456789abcdef',
  NIGHTSHIFT_LINK_SECRET: 'link-secret-of-the-logs-test-0123456789abcdef',
  SLACK_SIGNING_SECRET: 'slack-signing-secret-of-the-logs-test',
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-logs-test-token',
  TWILIO_AUTH_TOKEN: 'twilio-auth-token-of-the-logs-test',
};
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const;

let client: Client;
let connection: Connection;
let app: FastifyInstance;
const lines: string[] = [];

beforeAll(async () => {
  ({ client, connection } = await testClient());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nightshift-logs-'));
  fs.cpSync(path.join(FIXTURES, 'server'), dir, { recursive: true });
  const registry = new PlaybookRegistry(path.join(dir, 'nightshift.yaml'), [path.join(dir, 'playbooks')]);
  expect(registry.reload().ok).toBe(true);
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  // As `nightshift start` builds it: the most verbose level, the secrets of the environment.
  const logger = createLogger('trace', { destination: sink, secrets: secretValuesFromEnv(env) });
  app = await buildServer({
    client,
    registry,
    namespace: 'default',
    taskQueue: uniqueTaskQueue('logs'),
    logger,
    apiTokens: [env.NIGHTSHIFT_API_TOKENS],
    webhookSecrets: [env.NIGHTSHIFT_WEBHOOK_SECRETS],
    plugins: [
      (a) =>
        interactionRoutes(a, {
          client,
          org: () => registry.current.org as OrgIR,
          cfg: {
            publicUrl: 'https://nightshift.example',
            linkSecret: env.NIGHTSHIFT_LINK_SECRET,
            slack: { botToken: env.SLACK_BOT_TOKEN, signingSecret: env.SLACK_SIGNING_SECRET },
            twilio: {
              accountSid: 'AC' + '0'.repeat(32),
              authToken: env.TWILIO_AUTH_TOKEN,
              from: '+15550000000',
            },
          },
          log: logger,
        }),
    ],
  });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await connection?.close();
});

it('writes no token, signature or configured secret to any log line, for every method and route', async () => {
  jest.setTimeout(120_000);
  // A live link: it would decide ana's approval for whoever reads it.
  const linkToken = signLink(env.NIGHTSHIFT_LINK_SECRET, {
    k: 'decide',
    id: 'nightshift/contain/incident/logs-test|approval|1',
    sub: 'ana',
    out: 'approved',
    exp: Math.floor(Date.now() / 1000) + 3600,
  });
  const body = '{"note":"logs test"}';
  const slackSig = `v0=${'ab12'.repeat(16)}`;
  const twilioSig = 'dHdpbGlvLXNpZ25hdHVyZS1vZi10aGUtbG9ncy10ZXN0PQ==';
  const nightshiftSig = signBody(env.NIGHTSHIFT_WEBHOOK_SECRETS, body);
  const secrets = [
    linkToken,
    slackSig.slice(3),
    twilioSig,
    nightshiftSig.split('v1=')[1],
    ...Object.values(env),
  ];

  const routes = [
    ...new Set(app.nightshiftRoutes.map((r) => r.url.replace(/:(\w+)/g, 'some-$1'))),
    '/no/such/route',
    '/v1/links/extra',
    `/v1/links/${linkToken}`,
  ];
  const headerSets: Array<Record<string, string>> = [
    { authorization: `Bearer ${linkToken}` },
    { authorization: `Bearer ${env.NIGHTSHIFT_API_TOKENS}` },
    {
      'x-slack-signature': slackSig,
      'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)),
      'x-twilio-signature': twilioSig,
      'x-nightshift-signature': nightshiftSig,
      cookie: `session=${linkToken}`,
    },
  ];
  const statuses = new Set<number>();
  for (const url of routes) {
    for (const method of METHODS) {
      for (const headers of headerSets) {
        const res = await app.inject({
          method,
          url: `${url}?t=${linkToken}&token=${linkToken}&sig=${slackSig}`,
          headers: { ...headers, 'content-type': 'application/json' },
          payload: method === 'GET' || method === 'HEAD' ? undefined : body,
        });
        statuses.add(res.statusCode);
      }
    }
  }
  // The requests really reached handlers, refusals, 404s and errors alike.
  expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 400, 401, 404]));
  expect(lines.length).toBeGreaterThan(routes.length * METHODS.length);
  expect(lines.some((l) => l.includes('/v1/links?t=[redacted]'))).toBe(true);
  const leaks = lines.filter((l) => secrets.some((s) => l.includes(s)));
  expect(leaks).toEqual([]);
});
