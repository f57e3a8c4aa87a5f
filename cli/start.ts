// `nightshift start`: Temporal (embedded dev server on SQLite unless TEMPORAL_ADDRESS is set), the
// workers and the HTTP server in one process. Ctrl-C stops all three cleanly; runs survive a restart.
import path from 'node:path';
import { Client } from '@temporalio/client';
import Fastify from 'fastify';
import pino, { type Logger } from 'pino';
import { TASK_QUEUE } from '../core/queues';
import { defenderIntakeFromEnv, type DefenderIntakeSettings } from '../integrations/defender/alerts';
import { DefenderClient } from '../integrations/defender/client';
import { defenderConfigFromEnv } from '../integrations/defender/config';
import { defenderAuthReadiness, defenderStartupCheck } from '../integrations/defender/auth-check';
import { channelConfigFromEnv, teamsMode } from '../integrations/channels-config';
import { DEFENDER_POLLER_WORKFLOW_ID } from '../workflows/defender-intake';
import { formatDiagnostic } from '../compiler';
import { buildServer } from '../server/app';
import { createMetrics } from '../platform/metrics';
import { metricsSinks } from '../worker/sinks';
import { interactionRoutes } from '../server/interactions';
import { consoleRoutes } from '../server/console/plugin';
import { signInLink } from '../server/console/sign-in-link';
import { OidcClient } from '../integrations/oidc/client';
import { consoleSettings } from '../platform/config/console';
import { PATHS } from '../console/paths';
import type { OrgIR } from '../core/ir';
import { createLogger, secretValuesFromEnv } from '../platform/logger';
import { installTemporalLogging, temporalLogger, temporalServerLines } from '../platform/temporal/logger';
import { PlaybookRegistry, watchPlaybooks } from '../intake/registry';
import { buildActivities } from '../worker/activities';
import { ConfigError, loadConfig, metricsPort } from '../platform/config/settings';
import { apiTokens, linkSettings } from '../platform/secrets';
import { connectClient, connectWorker } from '../platform/temporal/connection';
import {
  PROJECT_ROOT,
  SetupError,
  isPortFree,
  startDevServer,
  type DevServer,
} from '../platform/temporal/dev-server';
import { ensureSearchAttributes } from '../platform/temporal/search-attributes';
import { createWorkers } from '../worker/worker';
import { abortedExitCode, describe, exitCode, watchLifetime } from './lifetime';
import type { CliIO } from './simulate';

/** Where generated secrets and the embedded server's files are kept. */
const STATE_DIR = path.join(PROJECT_ROOT, '.nightshift');

export type Role = 'all' | 'worker' | 'server';

/** The Defender alert poller: one durable workflow per deployment (USE_EXISTING: every worker may ask). */
async function startDefenderIntake(client: Client, intake: DefenderIntakeSettings): Promise<void> {
  await client.workflow.start('defenderAlertPoller', {
    workflowId: DEFENDER_POLLER_WORKFLOW_ID,
    taskQueue: TASK_QUEUE,
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [{ intervalMs: intake.intervalMs, rule: intake.rule }],
  });
}

export function runStart(argv: string[], io: CliIO): Promise<number> {
  return runRoles('all', argv, io);
}

/**
 * `start` runs everything in one process (with the embedded dev server unless TEMPORAL_ADDRESS);
 * `worker` and `server` run one role each against TEMPORAL_ADDRESS, for production deployments.
 */
export async function runRoles(role: Role, _argv: string[], io: CliIO): Promise<number> {
  // stdout carries the JSON log lines only; people's text (the banner, diagnostics, one-line errors)
  // goes to stderr, so `nightshift start | jq` and log shippers read one JSON stream.
  const stdout = pino.destination({ dest: 1, sync: false });
  const lifetime = watchLifetime([
    { name: 'stdout', stream: stdout },
    { name: 'stdout', stream: process.stdout },
    { name: 'stderr', stream: process.stderr },
  ]);
  let logger: Logger | undefined;
  const stops: Array<() => Promise<void>> = [];
  let stopping: Promise<void> | undefined;
  /** Stops everything started so far, last started first; once, however many ask. */
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const stop of stops.reverse()) {
        try {
          await stop();
        } catch {
          // Keep stopping the rest.
        }
      }
    })());
  /** Registers how to stop what was just started; after a stop began, stops it at once. */
  const own = (stop: () => Promise<void>) => {
    if (stopping) void stop().catch(() => undefined);
    else stops.push(stop);
  };
  const flush = () => {
    try {
      stdout.flushSync();
    } catch {
      // Nobody reads stdout any more.
    }
  };
  const finish = (code: number): number => {
    lifetime.dispose();
    flush();
    // Nothing must keep a stopped process alive (a call still retrying, a timer).
    setTimeout(() => process.exit(code), 5_000).unref();
    return code;
  };
  // A reason to stop that arrives during start-up (Ctrl-C, a crash, output closed) ends it here.
  let running = false;
  void lifetime.stopped.then(async (reason) => {
    if (running) return;
    io.err(`nightshift: ${describe(reason)} during start-up: stopping what has started…`);
    logger?.fatal({ reason: describe(reason) }, 'stopped during start-up');
    await stopAll();
    lifetime.dispose();
    flush();
    process.exit(abortedExitCode(reason));
  });
  try {
    // The one place the process environment is read (platform/config/variables.ts lists every variable).
    const processEnv = process.env;
    const cfg = loadConfig(processEnv, io.cwd);
    // Every integration setting is checked before anything starts: a bad one is one line naming it.
    const defenderCfg = defenderConfigFromEnv(processEnv);
    channelConfigFromEnv(processEnv);
    const consoleCfg = consoleSettings(processEnv);
    const runsWorker = role !== 'server';
    const runsServer = role !== 'worker';
    const tokens = runsServer ? apiTokens(processEnv, STATE_DIR) : { tokens: [] };
    // Signed links: generated defaults for the embedded server, required in production roles.
    const links = linkSettings({
      env: processEnv,
      embedded: role === 'all' && !cfg.temporal.address,
      http: cfg.http,
      stateDir: STATE_DIR,
    });
    const env = { ...processEnv, ...links.env };
    // Every configured secret (and the generated API token and link key) is scrubbed from every log line.
    const log = (logger = createLogger(cfg.logLevel, {
      destination: stdout,
      secrets: [...secretValuesFromEnv(env), ...tokens.tokens],
    }));
    // The Temporal SDK's lines (worker, activities, workflows, native core) into the same stream.
    if (runsWorker) installTemporalLogging(log);
    // Live Defender: ask for a token now, so a rejected secret is found at start, not at 3 a.m.
    const defenderClient = defenderCfg.dryRun ? undefined : new DefenderClient(defenderCfg);
    if (defenderClient) own(() => defenderClient.close());
    const defenderLogin = defenderClient ? await defenderStartupCheck(defenderClient) : undefined;
    if (defenderLogin?.refusal) throw new ConfigError(defenderLogin.refusal);

    const registry = new PlaybookRegistry(cfg.configFile, [cfg.playbooksDir]);
    const loaded = registry.reload();
    for (const d of loaded.diagnostics) io.err(formatDiagnostic(d));
    if (!registry.current.org) {
      io.err(
        `nightshift: ${path.relative(io.cwd, cfg.configFile) || cfg.configFile} has errors (above): fix them and start again.`,
      );
      return finish(1);
    }
    if (!loaded.ok) io.err('nightshift: the files with errors above are not served; the others are.');

    if (role !== 'all' && !cfg.temporal.address) {
      throw new ConfigError(
        `nightshift ${role} needs TEMPORAL_ADDRESS (host:port of the Temporal frontend).`,
      );
    }
    teamsMode(registry.current.org, env); // a Teams channel without its webhook variable: refused
    if (runsServer && !(await isPortFree(cfg.http.port, cfg.http.host))) {
      throw new SetupError(
        `port ${cfg.http.port} (HTTP API) is already in use: stop the program using it, or set NIGHTSHIFT_HTTP_PORT.`,
      );
    }

    let dev: DevServer | undefined;
    let address = cfg.temporal.address;
    if (!address) {
      const serverLines = temporalServerLines(log);
      dev = await startDevServer({
        port: cfg.devServer.port,
        uiPort: cfg.devServer.uiPort,
        dbFile: path.join(cfg.devServer.dataDir, 'temporal.db'),
        binary: cfg.devServer.binary,
        // Its output joins the log stream; its pid is kept so a later start can reclaim a leftover.
        onLine: serverLines.line,
        pidFile: path.join(PROJECT_ROOT, '.nightshift', `temporal-${cfg.devServer.port}.pid`),
        onReclaim: (pid) =>
          log.warn({ pid }, 'stopped a Temporal dev server left running by an earlier nightshift start'),
      });
      const server = dev;
      own(async () => {
        serverLines.quiet(); // its shutdown warnings are expected
        await server.stop();
      });
      address = dev.address;
    }
    const temporal = { ...cfg.temporal, address };
    const connection = await connectClient(temporal);
    own(() => connection.close());
    const client = new Client({ connection, namespace: cfg.temporal.namespace });
    await ensureSearchAttributes(connection, cfg.temporal.namespace);

    const metrics = createMetrics();
    const acts = buildActivities({
      env,
      client,
      registry,
      logger: log,
      metrics,
      defenderClient,
      defenderLogin: defenderLogin?.line,
    });
    let workersDone: Promise<void> = new Promise(() => undefined);
    if (runsWorker) {
      const nativeConnection = await connectWorker(temporal);
      own(() => nativeConnection.close());
      const workers = await createWorkers({
        connection: nativeConnection,
        namespace: cfg.temporal.namespace,
        client,
        activities: acts.main,
        defenderActivities: acts.defender,
        defenderOptions: acts.defenderOptions,
        sinks: metricsSinks(metrics, log),
        bundlerLogger: temporalLogger(log, { infoAsDebug: true }),
        cacheMiB: cfg.workerCacheMiB,
      });
      workersDone = workers.run();
      if (acts.shareDefenderQuota) {
        const stopSharing = acts.shareDefenderQuota();
        own(async () => stopSharing());
      }
      if (acts.defenderLive) {
        const intake = defenderIntakeFromEnv(processEnv);
        if (intake.enabled) await startDefenderIntake(client, intake);
      }
      // Stopped before the server closes its connection: in-flight activities drain first.
      own(() => workers.shutdown());
    }

    // Console sign-in: OIDC when configured; otherwise a one-time link, printed below (never an open console).
    const publicUrl = acts.channelConfig.publicUrl as string;
    const oidc = consoleCfg.oidc
      ? new OidcClient({
          issuer: consoleCfg.oidc.issuer,
          clientId: consoleCfg.oidc.clientId,
          clientSecret: consoleCfg.oidc.clientSecret,
          clientCertificate: consoleCfg.oidc.clientCertificate,
          redirectUri: `${publicUrl.replace(/\/+$/, '')}${PATHS.oidcCallback}`,
          scopes: consoleCfg.oidc.scopes,
        })
      : undefined;
    if (runsServer) {
      const server = await buildServer({
        client,
        registry,
        namespace: cfg.temporal.namespace,
        logger: log,
        metrics,
        apiTokens: tokens.tokens,
        webhookSecrets: cfg.webhookSecrets,
        readinessChecks: defenderClient ? [defenderAuthReadiness(defenderClient)] : [],
        plugins: [
          (app) =>
            interactionRoutes(app, {
              client,
              org: () => registry.current.org as OrgIR,
              cfg: acts.channelConfig,
              log,
              metrics,
            }),
          (app) =>
            consoleRoutes(app, {
              client,
              namespace: cfg.temporal.namespace,
              taskQueue: TASK_QUEUE,
              current: () => registry.current,
              lastLoad: () => registry.lastLoad,
              linkSecret: acts.channelConfig.linkSecret as string,
              publicUrl: acts.channelConfig.publicUrl as string,
              oidc: oidc && consoleCfg.oidc ? { client: oidc, claims: consoleCfg.oidc.claims } : undefined,
              sessionTtlMs: consoleCfg.sessionTtlMs,
              logger: log,
              portalUrl: defenderCfg.portalUrl,
              assetsDir: path.join(PROJECT_ROOT, 'dist', 'console-assets'),
            }),
        ],
      });
      await server.listen({ host: cfg.http.host, port: cfg.http.port });
      // Fastify's close() stops accepting and waits for in-flight requests.
      own(() => server.close());
    }
    if (!runsServer && cfg.metricsPort) {
      // A standalone worker exposes its own metrics (runs, approvals, Defender calls happen here).
      const port = metricsPort(cfg.metricsPort);
      const m = Fastify({ logger: false });
      m.get('/healthz', async () => ({ status: 'ok' }));
      m.get('/metrics', async (_req, reply) =>
        reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
      );
      await m.listen({ host: cfg.http.host, port });
      own(() => m.close());
    }
    if (cfg.watchPlaybooks) {
      const watcher = watchPlaybooks(registry, [cfg.configFile, cfg.playbooksDir], (r) => {
        for (const d of r.diagnostics) io.err(formatDiagnostic(d));
        log.info(
          { ok: r.ok, loaded: r.loaded },
          r.ok ? 'playbooks reloaded' : 'playbook reload refused some files',
        );
      });
      own(async () => watcher.close());
    }

    const base = `http://${cfg.http.host}:${cfg.http.port}`;
    // The one human-readable output, on stderr (stdout is the JSON log stream).
    io.err(
      [
        `Nightshift ${role === 'all' ? '' : role + ' '}is running. Ctrl-C stops it.`,
        ...(runsServer
          ? [
              `  HTTP API     ${base}   (POST ${base}/v1/detections)`,
              `  API token    ${'file' in tokens && tokens.file ? path.relative(io.cwd, tokens.file) : 'from NIGHTSHIFT_API_TOKENS'}`,
            ]
          : []),
        `  Temporal     ${address}${dev ? ' (embedded dev server, data in ' + path.relative(io.cwd, cfg.devServer.dataDir) + ')' : ''}`,
        ...(dev?.uiUrl ? [`  Temporal UI  ${dev.uiUrl}`] : []),
        `  Playbooks    ${registry.current.playbooks.map((p) => p.name).join(', ') || '(none)'}`,
        ...acts.modes.map((m) => `  ${m}`),
        `  ${links.banner}`,
        ...(runsServer
          ? [
              oidc
                ? `  Console      ${publicUrl.replace(/\/+$/, '')}${PATHS.inbox}   (sign-in with ${oidc.issuer})`
                : `  Console      ${signInLink(publicUrl, acts.channelConfig.linkSecret as string, { nowSec: Math.floor(Date.now() / 1000) })}   (one-time sign-in link; npx nightshift sign-in prints another)`,
            ]
          : []),
      ].join('\n'),
    );
    log.info(
      {
        role,
        http: runsServer ? base : undefined,
        temporal: address,
        embedded: !!dev,
        playbooks: registry.current.playbooks.map((p) => p.name),
        modes: acts.modes,
      },
      'nightshift is running',
    );
    running = true;
    workersDone.catch((error: unknown) => lifetime.request({ kind: 'worker', error }));

    const reason = await lifetime.stopped;
    io.err(`\nnightshift: ${describe(reason)}: stopping the HTTP server, the workers and Temporal…`);
    if (reason.kind === 'crash') log.fatal({ err: reason.error }, 'uncaught error: stopping');
    else if (reason.kind === 'worker') log.error({ err: reason.error }, 'a worker stopped: stopping');
    else log.info({ reason: describe(reason) }, 'stopping');
    await stopAll();
    log.info('stopped');
    io.err('nightshift: stopped.');
    return finish(exitCode(reason));
  } catch (err) {
    await stopAll();
    if (err instanceof SetupError || err instanceof ConfigError) {
      io.err(`nightshift: ${err.message}`);
      return finish(1);
    }
    finish(1);
    throw err;
  }
}
