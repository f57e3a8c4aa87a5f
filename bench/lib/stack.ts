// One benchmark environment: a fresh Temporal dev server (in-memory, headless, free port), the
// protocol-faithful fakes in this process, and the product's own `worker` and `server` roles
// (cli/start.ts runRoles) as two child processes configured purely by environment, as in production.
// Everything listens on 127.0.0.1; stop() ends exactly the processes started here.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Pool } from 'undici';
import { freePort, startDevServer, type DevServer } from '../../platform/temporal/dev-server';
import { DEFENDER_TASK_QUEUE, TASK_QUEUE } from '../../core/queues';
import { FakeDefender, type FakeDefenderOptions } from '../../test/fakes/defender/fake-defender';
import { startFakeSlack, type FakeSlack } from '../../test/fakes/slack';
import { startFakeTeams, type FakeTeams } from '../../test/fakes/teams';
import { startFakeTwilio, type FakeTwilio } from '../../test/fakes/twilio';
import { startFakeSmtp, type FakeSmtp } from '../../test/fakes/smtp';
import { procCpuMs, procMem, resetPeak } from './proc';
import { sleep } from './stats';
import { FakeWatch } from './watch';

/** The repository root (this file runs from bench/out/build/bench/lib/). */
export const REPO = path.resolve(__dirname, '..', '..', '..', '..', '..');
export const OUT = path.join(REPO, 'bench', 'out');
export const PLAYBOOK = path.join(REPO, 'playbooks', 'contain-confirmed-threat.yaml');
export const TEMPORAL_BIN =
  process.env.NIGHTSHIFT_TEMPORAL_BIN || path.join(REPO, '.nightshift', 'bin', 'temporal');

const PROD_TEMPORAL_SCRIPT = path.join(REPO, 'scripts', 'prod-temporal.sh');
const PROD_TEMPORAL_PID = path.join(REPO, '.nightshift', 'prod', 'temporal-server.pid');

/**
 * scripts/prod-temporal.sh `start` (with `namespace` created) or `stop`. Start builds what is missing the
 * first time (PostgreSQL from Debian, the Temporal server from its Go module: minutes); its last stdout
 * line is TEMPORAL_ADDRESS=host:port, which is returned.
 */
export function prodTemporal(cmd: 'start' | 'stop', namespace = 'default'): string {
  const out = execFileSync('bash', [PROD_TEMPORAL_SCRIPT, cmd], {
    encoding: 'utf8',
    env: { ...process.env, NIGHTSHIFT_PROD_NAMESPACE: namespace },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const last = out.trim().split('\n').pop() ?? '';
  return last.startsWith('TEMPORAL_ADDRESS=') ? last.slice('TEMPORAL_ADDRESS='.length) : '';
}

export const SLACK_SIGNING_SECRET = 'bench-slack-signing-secret';
const SLACK_BOT = 'xoxb-bench';
const TWILIO_SID = 'AC' + '0'.repeat(32);
const TWILIO_AUTH = 'bench-twilio-auth-token';
export const API_TOKEN = 'bench-api-token-0123456789abcdef';
export const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const SECRET = 'bench-client-secret-value-0123456789';

export interface StackOptions {
  /** Names the log and profile files. */
  name: string;
  org: 'night' | 'day';
  /** DEFENDER_* limits and poll interval for the worker. */
  defenderEnv?: Record<string, string>;
  fakeDefender?: Partial<FakeDefenderOptions>;
  /** Run worker and server under `node --cpu-prof` (profiles in bench/out/prof/). */
  cpuProf?: boolean;
  /**
   * Extra dynamic config of the dev server (key=value), for experiments on what moves a figure. The
   * product's startDevServer takes no extra arguments, so a wrapper script appends them.
   */
  temporalDynamicConfig?: string[];
  /** Worker processes (`nightshift worker`) on the same task queues; default 1. */
  workers?: number;
  /**
   * `dev`: a fresh embedded dev server (in-memory SQLite), the default. `postgres`: the production
   * topology of scripts/prod-temporal.sh (PostgreSQL, the Temporal server, 4 history shards), started
   * if it is not running, with a fresh namespace for this stack.
   */
  temporal?: 'dev' | 'postgres';
  /** The playbook file the stack runs; default the shipped contain-confirmed-threat.yaml. */
  playbook?: string;
}

export interface Role {
  name: 'worker' | 'server';
  child: ChildProcess;
  exited: Promise<number | null>;
}

export class Stack {
  temporal?: DevServer;
  /** The Temporal frontend and namespace this stack uses. */
  temporalAddress = '';
  namespace = 'default';
  connection!: Connection;
  client!: Client;
  defender!: FakeDefender;
  slack!: FakeSlack;
  teams!: FakeTeams;
  twilio!: FakeTwilio;
  smtp!: FakeSmtp;
  watch!: FakeWatch;
  serverUrl = '';
  http!: Pool;
  worker!: Role;
  /** Worker processes beyond the first (StackOptions.workers). */
  moreWorkers: Role[] = [];
  server!: Role;
  private peaks = new Map<string, number>();
  private temporalPidFile = '';
  private temporalPid = 0;
  private sampler?: NodeJS.Timeout;

  constructor(readonly opts: StackOptions) {}

  static async start(opts: StackOptions): Promise<Stack> {
    const s = new Stack(opts);
    try {
      await s.boot();
    } catch (err) {
      await s.stop();
      throw err;
    }
    return s;
  }

  private async boot(): Promise<void> {
    const logs = path.join(OUT, 'logs');
    fs.mkdirSync(logs, { recursive: true });
    let binary = TEMPORAL_BIN;
    if (this.opts.temporalDynamicConfig?.length) {
      binary = path.join(OUT, 'temporal-with-dynamic-config.sh');
      const extra = this.opts.temporalDynamicConfig.map((kv) => `--dynamic-config-value '${kv}'`).join(' ');
      fs.writeFileSync(binary, `#!/bin/sh\nexec '${TEMPORAL_BIN}' "$@" ${extra}\n`, { mode: 0o755 });
    }
    if (this.opts.temporal === 'postgres') {
      this.namespace = `bench-${crypto.randomBytes(4).toString('hex')}`;
      this.temporalAddress = prodTemporal('start', this.namespace);
      // The Temporal server's pid (PostgreSQL's own processes are not counted in the figures).
      this.temporalPid = Number(fs.readFileSync(PROD_TEMPORAL_PID, 'utf8').trim());
    } else {
      // The dev server runs under a watchdog shell: its own pid (for memory and CPU) is in the pid file.
      this.temporalPidFile = path.join(OUT, `${this.opts.name}-temporal.pid`);
      this.temporal = await startDevServer({
        binary,
        port: await freePort(),
        logFile: path.join(logs, `${this.opts.name}-temporal.log`),
        pidFile: this.temporalPidFile,
      });
      this.temporalPid = Number(fs.readFileSync(this.temporalPidFile, 'utf8').trim());
      this.temporalAddress = this.temporal.address;
    }
    this.connection = await Connection.connect({ address: this.temporalAddress });
    this.client = new Client({ connection: this.connection, namespace: this.namespace });
    this.defender = await new FakeDefender({
      tenantId: TENANT,
      clientId: CLIENT_ID,
      clientSecret: SECRET,
      // "The fakes answer at once": an action is final as soon as it exists.
      lifecycle: { pendingMs: 0, inProgressMs: 0, final: 'Succeeded' },
      ...this.opts.fakeDefender,
    }).start();
    [this.slack, this.teams, this.twilio, this.smtp] = await Promise.all([
      startFakeSlack({ token: SLACK_BOT, channels: ['C0SOC0001'] }),
      startFakeTeams(),
      startFakeTwilio({ accountSid: TWILIO_SID, authToken: TWILIO_AUTH }),
      startFakeSmtp(),
    ]);
    this.watch = new FakeWatch(this.defender, this.twilio, this.slack);

    const httpPort = await freePort();
    this.serverUrl = `http://127.0.0.1:${httpPort}`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_NAMESPACE: this.namespace,
      NIGHTSHIFT_CONFIG: path.join(REPO, 'bench', 'fixtures', this.opts.org, 'nightshift.yaml'),
      NIGHTSHIFT_PLAYBOOKS: this.opts.playbook ?? PLAYBOOK,
      NIGHTSHIFT_HTTP_HOST: '127.0.0.1',
      NIGHTSHIFT_HTTP_PORT: String(httpPort),
      NIGHTSHIFT_API_TOKENS: API_TOKEN,
      NIGHTSHIFT_WATCH: 'false',
      NIGHTSHIFT_LOG_LEVEL: 'info',
      NIGHTSHIFT_PUBLIC_URL: this.serverUrl,
      NIGHTSHIFT_LINK_SECRET: crypto.randomBytes(32).toString('hex'),
      SLACK_BOT_TOKEN: SLACK_BOT,
      SLACK_SIGNING_SECRET,
      SLACK_API_URL: this.slack.apiUrl,
      TWILIO_ACCOUNT_SID: TWILIO_SID,
      TWILIO_AUTH_TOKEN: TWILIO_AUTH,
      TWILIO_FROM: '+15550000000',
      TWILIO_API_BASE: this.twilio.url,
      SMTP_URL: this.smtp.url,
      EMAIL_FROM: 'Nightshift <nightshift@example.com>',
      TEAMS_SOC_WEBHOOK: this.teams.webhook('soc'),
      DEFENDER_INTAKE: 'false',
      // For experiments on the cache size (scenario 5): the product's default unless given.
      ...(process.env.NIGHTSHIFT_WORKER_CACHE_MIB
        ? { NIGHTSHIFT_WORKER_CACHE_MIB: process.env.NIGHTSHIFT_WORKER_CACHE_MIB }
        : {}),
      ...this.defender.env({
        DEFENDER_POLL_INTERVAL_MS: '1000',
        DEFENDER_CALLS_PER_MINUTE: '6000',
        DEFENDER_CALLS_PER_HOUR: '360000',
        ...this.opts.defenderEnv,
      }),
    };
    this.worker = this.spawnRole('worker', env);
    await this.until('worker polling', () => this.workerReady(), 120_000);
    for (let i = 2; i <= (this.opts.workers ?? 1); i++) {
      this.moreWorkers.push(this.spawnRole('worker', env, `worker${i}`));
      const want = i;
      await this.until(`worker ${i} polling`, async () => (await this.workflowPollers()) >= want, 120_000);
    }
    this.server = this.spawnRole('server', env);
    await this.until('server listening', () => this.serverReady(), 60_000);
    this.http = new Pool(this.serverUrl, { connections: 128, pipelining: 1 });
    this.sampler = setInterval(() => this.sample(), 250);
  }

  private spawnRole(name: Role['name'], env: NodeJS.ProcessEnv, label: string = name): Role {
    const log = fs.openSync(path.join(OUT, 'logs', `${this.opts.name}-${label}.log`), 'w');
    // One folder per process: node names each thread's profile (the worker's workflow thread is where
    // its CPU goes), so a fixed file name would keep only one thread's.
    const prof = path.join(OUT, 'prof', this.opts.name, label);
    if (this.opts.cpuProf) fs.mkdirSync(prof, { recursive: true });
    const args = [
      ...(this.opts.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', prof] : []),
      path.join(__dirname, '..', 'procs', 'role.js'),
      name,
    ];
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', log, log], cwd: REPO });
    fs.closeSync(log);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    return { name, child, exited };
  }

  private async until(what: string, ok: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      for (const r of [this.worker, ...this.moreWorkers, this.server]) {
        if (r && r.child.exitCode !== null)
          throw new Error(
            `${r.name} exited (${r.child.exitCode}); see bench/out/logs/${this.opts.name}-${r.name}.log`,
          );
      }
      if (await ok().catch(() => false)) return;
      await sleep(200);
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  private async workerReady(): Promise<boolean> {
    const svc = this.connection.workflowService;
    const wf = await svc.describeTaskQueue({
      namespace: this.namespace,
      taskQueue: { name: TASK_QUEUE },
      taskQueueType: 1,
    });
    const act = await svc.describeTaskQueue({
      namespace: this.namespace,
      taskQueue: { name: DEFENDER_TASK_QUEUE },
      taskQueueType: 2,
    });
    return (wf.pollers?.length ?? 0) > 0 && (act.pollers?.length ?? 0) > 0;
  }

  /** Distinct worker identities polling the main task queue (the product's identity is pid@host). */
  private async workflowPollers(): Promise<number> {
    const wf = await this.connection.workflowService.describeTaskQueue({
      namespace: this.namespace,
      taskQueue: { name: TASK_QUEUE },
      taskQueueType: 1,
    });
    return new Set((wf.pollers ?? []).map((p) => p.identity)).size;
  }

  private async serverReady(): Promise<boolean> {
    const res = await fetch(`${this.serverUrl}/healthz`);
    return res.ok;
  }

  pids(): Record<string, number> {
    return {
      worker: this.worker.child.pid ?? 0,
      ...Object.fromEntries(this.moreWorkers.map((w, i) => [`worker${i + 2}`, w.child.pid ?? 0])),
      server: this.server.child.pid ?? 0,
      temporal: this.temporalPid || (this.temporal?.process.pid ?? 0),
      bench: process.pid,
    };
  }

  private sample(): void {
    for (const [name, pid] of Object.entries(this.pids())) {
      const { rssMiB } = procMem(pid);
      if (rssMiB > (this.peaks.get(name) ?? 0)) this.peaks.set(name, rssMiB);
    }
  }

  /** Starts a new phase: peaks are measured from here. */
  resetPeaks(): void {
    this.peaks.clear();
    for (const pid of Object.values(this.pids())) resetPeak(pid);
    this.sample();
  }

  /** Resident memory now and the phase's peak (max of 250 ms samples and the kernel's VmHWM), MiB. */
  memory(): Record<string, { rssMiB: number; peakMiB: number }> {
    this.sample();
    const out: Record<string, { rssMiB: number; peakMiB: number }> = {};
    for (const [name, pid] of Object.entries(this.pids())) {
      const m = procMem(pid);
      const peak = Math.max(this.peaks.get(name) ?? 0, Number.isNaN(m.hwmMiB) ? 0 : m.hwmMiB);
      out[name] = { rssMiB: Math.round(m.rssMiB), peakMiB: Math.round(peak) };
    }
    return out;
  }

  cpuMs(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids())) out[name] = procCpuMs(pid);
    return out;
  }

  async stop(): Promise<void> {
    if (this.sampler) clearInterval(this.sampler);
    this.watch?.stop();
    // Server first (stops intake), then the worker (drains its activities), as `nightshift start` does.
    for (const r of [this.server, this.worker, ...this.moreWorkers]) {
      if (!r || r.child.exitCode !== null) continue;
      r.child.kill('SIGTERM');
      const killed = setTimeout(() => r.child.kill('SIGKILL'), 20_000);
      await r.exited;
      clearTimeout(killed);
    }
    await this.http?.close().catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
    await this.temporal?.stop().catch(() => undefined);
    await Promise.allSettled([
      this.defender?.stop(),
      this.slack?.close(),
      this.teams?.close(),
      this.twilio?.close(),
      this.smtp?.close(),
    ]);
  }
}
