// Starts and stops the embedded Temporal dev server (the Temporal CLI built by scripts/setup.sh).
// Used by `nightshift start` (SQLite file, Web UI) and by the test harness (in-memory, headless).
//
// The server never outlives the process that started it, however that process ends: it runs under a
// small POSIX sh watchdog whose stdin is a pipe only the starting process holds. When that process
// exits — stopped, crashed, or killed with SIGKILL — the kernel closes the pipe, the watchdog reads EOF
// and stops the server (Node has no prctl(PR_SET_PDEATHSIG); a pipe works on Linux and macOS alike).
// The watchdog records the server's pid in a pid file, so a start that finds a server of ours left
// over anyway (an older release, a killed watchdog) stops it instead of failing on its port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { Connection } from '@temporalio/client';

export const PROJECT_ROOT = path.resolve(
  __dirname,
  '..',
  '..',
  __dirname.includes(`${path.sep}dist${path.sep}`) ? '..' : '',
);
/** The Temporal CLI built by scripts/setup.sh (NIGHTSHIFT_TEMPORAL_BIN points elsewhere: settings.ts). */
export const TEMPORAL_BINARY = path.join(PROJECT_ROOT, '.nightshift', 'bin', 'temporal');

export interface DevServerOptions {
  binary?: string;
  port: number;
  /** Web UI port; omit for headless. */
  uiPort?: number;
  /** SQLite file; omit for in-memory. */
  dbFile?: string;
  namespace?: string;
  /** Each line the server writes (its JSON log lines, the CLI's start-up text). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Also append the server's output to this file. */
  logFile?: string;
  /** Where the server's pid is kept while it runs (see the top of this file). */
  pidFile?: string;
  /** Told when a stale server of ours was found and stopped. */
  onReclaim?: (pid: number) => void;
  /** How long to wait for the frontend to answer. */
  readyTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  logFile?: string;
  /** The watchdog (the server is its child, in the watchdog's process group). */
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

/** $0 of the watchdog: how a later start recognises a server that still has its watchdog. */
export const WATCHDOG_NAME = 'nightshift-temporal-watchdog';

// $1: pid file ('' for none); $2…: the server command. fd 3 keeps the stdin pipe: background jobs of a
// non-interactive shell get /dev/null as their stdin, but not as their fd 3. The helper jobs write to
// /dev/null: holding the output pipes open, they would keep the reader waiting after the server ended.
const WATCHDOG = `
pidfile=$1; shift
exec 3<&0
"$@" </dev/null 3<&- &
server=$!
[ -n "$pidfile" ] && echo "$server" >"$pidfile"
stopping=; killer=
stop() {
  [ -n "$stopping" ] && return
  stopping=1
  kill -TERM "$server" 2>/dev/null
  ( sleep 15; kill -KILL "$server" ) >/dev/null 2>&1 &
  killer=$!
}
trap stop TERM INT HUP
( while read -r _ <&3; do :; done; kill -TERM $$ ) >/dev/null 2>&1 &
watcher=$!
exec 3<&-
code=0
while :; do
  wait "$server"; code=$?
  [ "$code" -eq 127 ] && break
  kill -0 "$server" 2>/dev/null || break
done
kill "$watcher" $killer 2>/dev/null
[ -n "$pidfile" ] && rm -f "$pidfile"
exit "$code"
`;

/** A live process's parent and command line, or undefined when there is none. */
function processInfo(pid: number): { ppid: number; cmd: string } | undefined {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return { ppid, cmd };
  } catch {
    // No /proc (macOS): ps.
    const r = spawnSync('ps', ['-o', 'ppid=', '-o', 'args=', '-p', String(pid)], { encoding: 'utf8' });
    const m = /^\s*(\d+)\s+(.*)$/.exec(r.stdout?.trim() ?? '');
    return m ? { ppid: Number(m[1]), cmd: m[2] } : undefined;
  }
}

const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    if (!processInfo(pid)) return true;
    await sleepMs(100);
  }
  return !processInfo(pid);
}

/**
 * A server recorded in `pidFile` that is ours (our binary, start-dev, this port) and has lost the
 * start that owned it is stopped. One whose watchdog and start are still alive belongs to a running
 * `nightshift start`: that is a clear error, never a kill.
 */
async function reclaimStale(opts: DevServerOptions & { binary: string; pidFile: string }): Promise<void> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(opts.pidFile, 'utf8').trim());
  } catch {
    return;
  }
  const info = Number.isInteger(pid) && pid > 1 ? processInfo(pid) : undefined;
  const ours =
    !!info &&
    info.cmd.includes(opts.binary) &&
    / start-dev( |$)/.test(info.cmd) &&
    new RegExp(`(^| )--port ${opts.port}( |$)`).test(info.cmd);
  if (!info || !ours) {
    // Gone, or the pid now names someone else's process: only the record is stale.
    fs.rmSync(opts.pidFile, { force: true });
    return;
  }
  const parent = processInfo(info.ppid);
  if (parent?.cmd.includes(WATCHDOG_NAME)) {
    // Its watchdog stops it within seconds of its start ending; if it does not, that start is alive.
    if (!(await gone(pid, 5_000))) {
      throw new SetupError(
        `port ${opts.port} (Temporal) is used by the embedded Temporal of a nightshift start that is still running (server pid ${pid}): stop that one first, or choose another port with NIGHTSHIFT_TEMPORAL_PORT.`,
      );
    }
  } else {
    process.kill(pid, 'SIGTERM');
    if (!(await gone(pid, 10_000))) {
      process.kill(pid, 'SIGKILL');
      await gone(pid, 2_000);
    }
  }
  fs.rmSync(opts.pidFile, { force: true });
  opts.onReclaim?.(pid);
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const binary = path.resolve(opts.binary ?? TEMPORAL_BINARY);
  if (!fs.existsSync(binary)) {
    throw new SetupError(
      `the Temporal dev server is not built (${binary} is missing): run \`npm run setup\`.`,
    );
  }
  if (opts.pidFile) await reclaimStale({ ...opts, binary, pidFile: opts.pidFile });
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
    // One partition per task queue: tasks are dispatched in the order they were scheduled, and one
    // machine gains nothing from more.
    '--dynamic-config-value',
    'matching.numTaskqueueReadPartitions=1',
    '--dynamic-config-value',
    'matching.numTaskqueueWritePartitions=1',
    // Eager activities (docs/deployment.md "The night path"): an activity on the run's own task queue
    // (the announcement's notify) starts on the worker that scheduled it, without a trip through
    // matching. The rate-limited Defender queue is another queue, so its tasks are never eager.
    '--dynamic-config-value',
    'system.enableActivityEagerExecution=true',
  ];
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  if (opts.uiPort !== undefined) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.pidFile) fs.mkdirSync(path.dirname(opts.pidFile), { recursive: true });

  let log: fs.WriteStream | undefined;
  if (opts.logFile) {
    fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
    log = fs.createWriteStream(opts.logFile, { flags: 'a' });
  }
  // Its own process group: a terminal's Ctrl-C reaches nightshift only, which stops the server last.
  const child = spawn('sh', ['-c', WATCHDOG, WATCHDOG_NAME, opts.pidFile ?? '', binary, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  // The lifeline: never written, closed only when this process ends.
  child.stdin!.on('error', () => undefined);
  const recent: string[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    readline.createInterface({ input: child[stream]!, crlfDelay: Infinity }).on('line', (line) => {
      recent.push(line);
      if (recent.length > 15) recent.shift();
      log?.write(line + '\n');
      opts.onLine?.(line, stream);
    });
  }
  let exited: number | null | undefined;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = code;
      log?.end();
      child.stdin?.destroy(); // the lifeline has served: it must not keep this process alive
      resolve();
    }),
  );
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };

  const address = `127.0.0.1:${opts.port}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exited !== undefined) {
      throw new SetupError(
        `the Temporal dev server exited during start-up (code ${exited}); its output ends with:\n${recent.join('\n')}`,
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
        killGroup();
        throw new SetupError(
          `the Temporal dev server did not answer on ${address} within the start-up window; its output ends with:\n${recent.join('\n')}`,
        );
      }
      await sleepMs(200);
    }
  }

  return {
    address,
    uiUrl: opts.uiPort !== undefined ? `http://127.0.0.1:${opts.uiPort}` : undefined,
    logFile: opts.logFile,
    process: child,
    async stop() {
      if (exited !== undefined) return;
      child.kill('SIGTERM'); // the watchdog stops the server and waits for it
      const timer = setTimeout(killGroup, 20_000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}
