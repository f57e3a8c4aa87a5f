// `nightshift start`-like wiring for the browser tests and the screenshots: the real worker (its own
// task queue on the test run's Temporal server), the real activities against the Slack and Defender
// fakes, the real HTTP server with the interaction and console plugins, and a local OIDC provider.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { generate } from 'selfsigned';
import type { FastifyInstance } from 'fastify';
import { defenderTaskQueue } from '../../core/queues';
import type { Detection } from '../../core/detection';
import { OidcClient } from '../../integrations/oidc/client';
import { buildServer } from '../../server/app';
import { consoleRoutes } from '../../server/console/plugin';
import { interactionRoutes } from '../../server/interactions';
import { createMetrics } from '../../platform/metrics';
import { PlaybookRegistry } from '../../intake/registry';
import { buildActivities } from '../../worker/activities';
import { metricsSinks } from '../../worker/sinks';
import { freePort, PROJECT_ROOT } from '../../platform/temporal/dev-server';
import { ensureSearchAttributes } from '../../platform/temporal/search-attributes';
import { createWorkers, type WorkerSet } from '../../worker/worker';
import type { FakeDefender } from '../fakes/defender/fake-defender';
import { startFake } from '../fakes/defender/harness';
import { startFakeSlack, type FakeSlack } from '../fakes/slack';
import { FIXTURES } from '../support/playbooks';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal';

export const API_TOKEN = 'console-test-api-token';
export const LINK_SECRET = 'console-test-link-secret-0123456789abcdef';
const SLACK_TOKEN = 'xoxb-console-test';
const SLACK_SIGNING = 'console-slack-signing-secret';
export const OIDC_CLIENT = {
  client_id: 'nightshift-console',
  client_secret: 'console-oidc-secret-0123456789',
};
/** A client that authenticates with a certificate (private_key_jwt), as Entra ID apps may. */
export const OIDC_CERT_CLIENT = 'nightshift-console-cert';
export const OIDC_CERT_REDIRECT = 'http://127.0.0.1:9/console/auth/callback';

export interface OidcProvider {
  issuer: string;
  stop(): Promise<void>;
}

/** The local OIDC provider (test/support/oidc-provider.mjs) in a child process, on 127.0.0.1. */
export async function startOidcProvider(opts: object): Promise<OidcProvider> {
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(PROJECT_ROOT, 'test', 'support', 'oidc-provider.mjs'), JSON.stringify(opts)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr?.on('data', (b) => (err += b));
  const issuer = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b) => {
      out += b;
      const m = /READY (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`OIDC provider exited (${code}): ${err}`)));
  });
  return {
    issuer,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface ConsoleStack {
  base: string;
  client: Client;
  taskQueue: string;
  slack: FakeSlack;
  defender: FakeDefender;
  registry: PlaybookRegistry;
  playbooksDir: string;
  oidc?: OidcProvider;
  /** The certificate and key of OIDC_CERT_CLIENT. */
  oidcCert: { certPem: string; keyPem: string };
  /** The same workers and Temporal, behind a console without OIDC (one-time sign-in links). */
  linkBase: string;
  /** Reloads nightshift.yaml and the playbooks, as the file watcher does. */
  reload(): ReturnType<PlaybookRegistry['reload']>;
  post(detection: Partial<Detection> & { id: string }): Promise<{ workflowId: string }>;
  stop(): Promise<void>;
}

export function testDetection(over: Partial<Detection> & { id: string }): Detection {
  return {
    source: 'generic',
    title: 'Ransomware behaviour detected',
    severity: 'high',
    status: 'confirmed',
    mitre: ['T1486', 'T1059.001'],
    incident_id: `inc-${over.id}`,
    alert_ids: [],
    detected_at: new Date().toISOString(),
    devices: [
      {
        id: `dev-${over.id}`,
        name: `WS-FIN-${over.id}`,
        tags: ['finance'],
        os: 'Windows11',
        ip: '10.0.4.17',
      },
    ],
    users: [{ name: 'jdoe', domain: 'CORP', upn: 'jdoe@corp.example' }],
    evidence: {
      files: [{ sha256: 'a'.repeat(64), path: 'C:\\Users\\jdoe\\AppData\\enc.exe', name: 'enc.exe' }],
      processes: [{ name: 'enc.exe', pid: 4242, command_line: 'enc.exe --all' }],
      ips: ['203.0.113.7'],
      urls: ['http://203.0.113.7/payload'],
    },
    ...over,
  };
}

export async function startConsoleStack(opts: { oidc: boolean }): Promise<ConsoleStack> {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Installed already in this process.
  }
  const logger = pino({ level: process.env.NIGHTSHIFT_TEST_LOG ?? 'silent' });
  const [slack, defender] = await Promise.all([
    startFakeSlack({ token: SLACK_TOKEN, channels: ['C0SOC0001'] }),
    startFake({ lifecycle: { pendingMs: 50, inProgressMs: 50, final: 'Succeeded' } }),
  ]);
  // A copy of the fixture playbooks: tests write a broken file into it.
  const playbooksDir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-playbooks-'));
  for (const f of fs.readdirSync(path.join(FIXTURES, 'console', 'playbooks')))
    fs.copyFileSync(path.join(FIXTURES, 'console', 'playbooks', f), path.join(playbooksDir, f));
  const registry = new PlaybookRegistry(path.join(FIXTURES, 'console', 'nightshift.yaml'), [playbooksDir]);
  const reload = () => registry.reload();
  const first = reload();
  if (!first.ok) throw new Error(first.diagnostics.map((d) => d.message).join('\n'));

  const port = await freePort();
  const linkPort = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const linkBase = `http://127.0.0.1:${linkPort}`;
  const certPems = await generate([{ name: 'commonName', value: 'nightshift-console' }], {
    keyType: 'rsa',
    keySize: 2048,
  });
  const oidcCert = { certPem: certPems.cert, keyPem: certPems.private };
  const jwk = {
    ...createPublicKey(oidcCert.certPem).export({ format: 'jwk' }),
    // The key id openid-client's assertion carries: the certificate's SHA-256 thumbprint.
    kid: createHash('sha256').update(new X509Certificate(oidcCert.certPem).raw).digest('base64url'),
    use: 'sig',
    alg: 'RS256',
  };
  const oidc = opts.oidc
    ? await startOidcProvider({
        clients: [
          { ...OIDC_CLIENT, redirect_uris: [`${base}/console/auth/callback`] },
          { client_id: OIDC_CERT_CLIENT, jwks: { keys: [jwk] }, redirect_uris: [OIDC_CERT_REDIRECT] },
        ],
        unverified: ['unverified@example.com'],
      })
    : undefined;

  const connection = await Connection.connect({ address: temporalAddress() });
  const client = new Client({ connection });
  await ensureSearchAttributes(connection, 'default');
  const taskQueue = uniqueTaskQueue('console');
  const env = {
    ...defender.env({
      DEFENDER_POLL_INTERVAL_MS: '100',
      DEFENDER_CALLS_PER_MINUTE: '6000',
      DEFENDER_CALLS_PER_HOUR: '360000',
    }),
    SLACK_BOT_TOKEN: SLACK_TOKEN,
    SLACK_SIGNING_SECRET: SLACK_SIGNING,
    SLACK_API_URL: slack.apiUrl,
    NIGHTSHIFT_PUBLIC_URL: base,
    NIGHTSHIFT_LINK_SECRET: LINK_SECRET,
  };
  const metrics = createMetrics();
  const acts = buildActivities({ env, client, registry, logger, metrics, taskQueue });
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress() });
  const workers: WorkerSet = await createWorkers({
    connection: nativeConnection,
    namespace: 'default',
    client,
    activities: acts.main,
    defenderActivities: acts.defender,
    defenderOptions: acts.defenderOptions,
    taskQueue,
    defenderTaskQueue: defenderTaskQueue(taskQueue),
    sinks: metricsSinks(metrics, logger),
  });
  const running = workers.run();

  const consoleDeps = {
    client,
    namespace: 'default',
    taskQueue,
    current: () => registry.current,
    lastLoad: () => registry.lastLoad,
    linkSecret: LINK_SECRET,
    sessionTtlMs: 3600_000,
    logger,
    portalUrl: 'https://security.microsoft.com',
    assetsDir: path.join(PROJECT_ROOT, 'dist', 'console-assets'),
  };
  const server = (publicUrl: string, withOidc: boolean): Promise<FastifyInstance> =>
    buildServer({
      client,
      registry,
      namespace: 'default',
      logger,
      metrics,
      apiTokens: [API_TOKEN],
      taskQueue,
      plugins: [
        (app) =>
          interactionRoutes(app, {
            client,
            org: () => registry.current.org!,
            cfg: acts.channelConfig,
            log: logger,
            metrics,
          }),
        (app) =>
          consoleRoutes(app, {
            ...consoleDeps,
            publicUrl,
            oidc:
              withOidc && oidc
                ? {
                    client: new OidcClient({
                      issuer: oidc.issuer,
                      clientId: OIDC_CLIENT.client_id,
                      clientSecret: OIDC_CLIENT.client_secret,
                      redirectUri: `${publicUrl}/console/auth/callback`,
                      scopes: 'openid email profile',
                    }),
                    claims: ['email', 'preferred_username'],
                  }
                : undefined,
          }),
      ],
    });
  const app = await server(base, true);
  await app.listen({ host: '127.0.0.1', port });
  const linkApp = await server(linkBase, false);
  await linkApp.listen({ host: '127.0.0.1', port: linkPort });

  return {
    base,
    linkBase,
    client,
    taskQueue,
    slack,
    defender,
    registry,
    playbooksDir,
    oidc,
    oidcCert,
    reload,
    async post(over) {
      // Defender knows the device's machine by its host name (the lookup before any action, issue 15).
      const device = testDetection(over).devices[0];
      defender.addMachine(device.id, device.name);
      const res = await fetch(`${base}/v1/detections`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(testDetection(over)),
      });
      const body = (await res.json()) as { runs?: Array<{ workflowId: string }> };
      if (res.status !== 202 || !body.runs?.[0])
        throw new Error(`detection refused: ${res.status} ${JSON.stringify(body)}`);
      return { workflowId: body.runs[0].workflowId };
    },
    async stop() {
      await Promise.allSettled([app.close(), linkApp.close()]);
      await workers.shutdown();
      await running.catch(() => undefined);
      await nativeConnection.close();
      await connection.close();
      await Promise.allSettled([slack.close(), defender.stop(), oidc?.stop()]);
      fs.rmSync(playbooksDir, { recursive: true, force: true });
    },
  };
}
