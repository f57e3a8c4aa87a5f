// Starts and stops the embedded Temporal dev server (the Temporal CLI built by scripts/setup.sh).
// Used by `nightshift start` (SQLite file, Web UI) and by the test harness (in-memory, headless).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';

export const PROJECT_ROOT = path.resolve(
  __dirname,
  '..',
  __dirname.includes(`${path.sep}dist${path.sep}`) ? '..' : '',
);
/** The Temporal CLI built by scripts/setup.sh (NIGHTSHIFT_TEMPORAL_BIN points elsewhere). */
export const TEMPORAL_BINARY =
  process.env.NIGHTSHIFT_TEMPORAL_BIN || path.join(PROJECT_ROOT, '.nightshift', 'bin', 'temporal');

export interface DevServerOptions {
  binary?: string;
  port: number;
  /** Web UI port; omit for headless. */
  uiPort?: number;
  /** SQLite file; omit for in-memory. */
  dbFile?: string;
  namespace?: string;
  logFile: string;
  /** How long to wait for the frontend to answer. */
  readyTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  logFile: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** A clear, one-line problem with its fix; the CLI prints it without a stack trace. */
export class SetupError extends Error {
  override name = 'SetupError';
}

export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const binary = opts.binary ?? TEMPORAL_BINARY;
  if (!fs.existsSync(binary)) {
    throw new SetupError(
      `the Temporal dev server is not built (${binary} is missing): run \`npm run setup\`.`,
    );
  }
  for (const [what, port] of [
    ['Temporal', opts.port],
    ['Temporal Web UI', opts.uiPort],
  ] as const) {
    if (port !== undefined && !(await isPortFree(port))) {
      throw new SetupError(
        `port ${port} (${what}) is already in use: stop the program using it, or choose another port with ${
          what === 'Temporal' ? 'NIGHTSHIFT_TEMPORAL_PORT' : 'NIGHTSHIFT_TEMPORAL_UI_PORT'
        }.`,
      );
    }
  }
  const namespace = opts.namespace ?? 'default';
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--namespace',
    namespace,
    '--log-format',
    'json',
    '--log-level',
    'warn',
    // Updates are on by default in server 1.29, but be explicit: approvals depend on them.
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
    // Search attributes registered at start-up must be usable at once.
    '--dynamic-config-value',
    'system.forceSearchAttributesCacheRefreshOnRead=true',
    // One partition per task queue: the Defender queue's rate limit is a token bucket per partition,
    // and their bursts add up (activities/defender/quota.ts). One machine gains nothing from more.
    '--dynamic-config-value',
    'matching.numTaskqueueReadPartitions=1',
    '--dynamic-config-value',
    'matching.numTaskqueueWritePartitions=1',
  ];
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  if (opts.uiPort !== undefined) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');

  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const log = fs.openSync(opts.logFile, 'a');
  const child = spawn(binary, args, { stdio: ['ignore', log, log], detached: false });
  fs.closeSync(log);
  let exited: number | null | undefined;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = code;
      resolve();
    }),
  );

  const address = `127.0.0.1:${opts.port}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exited !== undefined) {
      throw new SetupError(
        `the Temporal dev server exited during start-up (code ${exited}); its log (${opts.logFile}) ends with:\n${tail(opts.logFile)}`,
      );
    }
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.describeNamespace({ namespace });
        break;
      } finally {
        await conn.close();
      }
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new SetupError(
          `the Temporal dev server did not answer on ${address} within the start-up window; see ${opts.logFile}.`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  return {
    address,
    uiUrl: opts.uiPort !== undefined ? `http://127.0.0.1:${opts.uiPort}` : undefined,
    logFile: opts.logFile,
    process: child,
    async stop() {
      if (exited !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}
