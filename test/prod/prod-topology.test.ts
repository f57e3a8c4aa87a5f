// The production topology for real, without Docker: PostgreSQL + the Temporal server built from Go
// modules (scripts/prod-temporal.sh, the same dynamic config as docker-compose.yml), then
// `nightshift worker` and `nightshift server` as two separate processes against it. A detection
// posted to the API starts a run that the worker executes and the server reports.
// Slow (the first run builds the Temporal server): not part of `npm test`.
// Run: npx jest -c test/prod/jest.config.js
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort, isPortFree } from '../../platform/temporal/dev-server';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'nightshift.js');
const SCRIPT = path.join(ROOT, 'scripts', 'prod-temporal.sh');
const PROD = path.join(ROOT, '.nightshift', 'prod');
const TOKEN = crypto.randomBytes(18).toString('base64url');
// A namespace of its own per test run: Nightshift's durable per-namespace state (the blast-radius
// limit of auto-isolations per hour, in nightshift.yaml) must not carry over from earlier runs on the
// same PostgreSQL data, or a later run would be refused isolation and finish at once.
const NAMESPACE = `e2e-${crypto.randomBytes(4).toString('hex')}`;

interface Proc {
  name: string;
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

/** A base port whose +0…+26 range (every port the Temporal server binds) is free. */
async function freeTemporalBase(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    // Below 32768 - 26: Temporal stores its membership ports in a smallint column.
    const base = 20000 + Math.floor(Math.random() * 12000);
    const all = [0, 1, 2, 6, 10, 20, 21, 22, 26].map((d) => base + d);
    if ((await Promise.all(all.map((p) => isPortFree(p)))).every(Boolean)) return base;
  }
  throw new Error('no free port range for Temporal');
}

function startRole(role: 'worker' | 'server', env: Record<string, string>): Promise<Proc> {
  const child = spawn(process.execPath, [BIN, role], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const proc: Proc = { name: role, child, out: () => out, exited };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nightshift ${role} did not start:\n${out}`)), 120_000);
    const check = () => {
      if (new RegExp(`Nightshift ${role} is running`).test(out)) {
        clearTimeout(timer);
        resolve(proc);
      }
    };
    // The banner is on stderr (stdout is the JSON log stream).
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`nightshift ${role} exited (${code}) before it was running:\n${out}`));
    });
  });
}

async function stop(p: Proc | undefined): Promise<number | null> {
  if (!p) return null;
  if (p.child.exitCode !== null) return p.child.exitCode;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
  const code = await p.exited;
  clearTimeout(timer);
  return code;
}

async function api(port: number, method: string, url: string, body?: unknown, token = TOKEN) {
  const res = await fetch(`http://127.0.0.1:${port}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function until<T>(
  what: string | (() => string),
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `timed out waiting for ${typeof what === 'string' ? what : what()}${last ? `: ${(last as Error).message}` : ''}`,
  );
}

describe('production topology: PostgreSQL + Temporal server + nightshift worker + nightshift server', () => {
  let address = '';
  let worker: Proc | undefined;
  let server: Proc | undefined;
  let httpPort = 0;
  let workflowId = '';
  let started: string[] = [];
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    // dist/ is what bin/nightshift.js runs (as in the Docker image); incremental, so quick when built.
    const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);

    const t0 = Date.now();
    const pgPort = await freePort();
    const base = await freeTemporalBase();
    const r = spawnSync('bash', [SCRIPT, 'start'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        NIGHTSHIFT_PROD_PG_PORT: String(pgPort),
        NIGHTSHIFT_PROD_TEMPORAL_PORT: String(base),
        NIGHTSHIFT_PROD_NAMESPACE: NAMESPACE,
      },
      timeout: 25 * 60 * 1000,
    });
    timings.temporalStartSec = Math.round((Date.now() - t0) / 1000);
    if (r.status !== 0) throw new Error(`prod-temporal.sh start failed (${r.status}):\n${r.stderr}`);
    const m = /^TEMPORAL_ADDRESS=(\S+)$/m.exec(r.stdout);
    if (!m) throw new Error(`prod-temporal.sh printed no address:\n${r.stdout}\n${r.stderr}`);
    address = m[1];
    process.stderr.write(`prod-temporal.sh start: ${timings.temporalStartSec}s\n${r.stderr}`);
  });

  afterAll(async () => {
    // The runs wait for a human: terminate them so the next test run starts clean.
    if (started.length && address) {
      const connection = await Connection.connect({ address }).catch(() => undefined);
      const client = connection && new Client({ connection, namespace: NAMESPACE });
      for (const id of started) {
        await client?.workflow
          .getHandle(id)
          .terminate('prod-topology test finished')
          .catch(() => undefined); // already closed
      }
      await connection?.close();
    }
    if (address) {
      // Best effort: the namespace and its runs are deleted in the background by Temporal.
      spawnSync(path.join(ROOT, '.nightshift', 'bin', 'temporal'), [
        'operator',
        'namespace',
        'delete',
        '--address',
        address,
        '-n',
        NAMESPACE,
        '--yes',
      ]);
    }
    await stop(server);
    await stop(worker);
    execFileSync('bash', [SCRIPT, 'stop'], { cwd: ROOT, stdio: 'inherit' });
  });

  test('the Temporal server runs on PostgreSQL, from the Go-built binary and the deploy/ dynamic config', () => {
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    const log = fs.readFileSync(path.join(PROD, 'logs', 'temporal-server.log'), 'utf8');
    expect(log).toMatch(/postgres12/);
    expect(fs.readFileSync(path.join(PROD, 'bin', 'temporal-server.version'), 'utf8').trim()).toMatch(
      /^\d+\.\d+\.\d+$/,
    );
    const status = execFileSync('bash', [SCRIPT, 'status'], { cwd: ROOT, encoding: 'utf8' });
    expect(status).toMatch(/postgres: running/);
    expect(status).toMatch(/temporal: running/);
  });

  test('start is idempotent: a second run reuses everything and prints the same address', () => {
    const t0 = Date.now();
    const r = spawnSync('bash', [SCRIPT, 'start'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NIGHTSHIFT_PROD_NAMESPACE: NAMESPACE },
    });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').pop()).toBe(`TEMPORAL_ADDRESS=${address}`);
    expect(r.stderr).toMatch(/already running/);
    expect(r.stderr).toContain(`namespace ${NAMESPACE} exists`);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  test("docker-compose's schema and namespace scripts work against this cluster (POSIX sh)", () => {
    // The admin-tools image provides temporal-sql-tool, temporal and busybox nc; here the same Go-built
    // tool, the dev CLI and a bash /dev/tcp stand-in for `nc -z`, under dash (POSIX sh, like busybox).
    const shims = fs.mkdtempSync(path.join(os.tmpdir(), 'nightshift-admin-tools-'));
    fs.symlinkSync(path.join(PROD, 'bin', 'temporal-sql-tool'), path.join(shims, 'temporal-sql-tool'));
    fs.symlinkSync(path.join(ROOT, '.nightshift', 'bin', 'temporal'), path.join(shims, 'temporal'));
    fs.writeFileSync(
      path.join(shims, 'nc'),
      '#!/usr/bin/env bash\n# nc -z [-w N] HOST PORT\nhost=${@: -2:1}; port=${@: -1}\nexec 3<>"/dev/tcp/$host/$port"\n',
      { mode: 0o755 },
    );
    const pgPort = fs.readFileSync(path.join(PROD, 'pg', 'data', 'postmaster.pid'), 'utf8').split('\n')[3];
    const gomodcache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
    const version = fs.readFileSync(path.join(PROD, 'bin', 'temporal-server.version'), 'utf8').trim();
    const env = {
      ...process.env,
      PATH: `${shims}:${process.env.PATH}`,
      POSTGRES_SEEDS: '127.0.0.1',
      DB_PORT: pgPort,
      POSTGRES_USER: 'temporal',
      POSTGRES_PWD: fs.readFileSync(path.join(PROD, 'postgres-password'), 'utf8').trim(),
      SCHEMA_DIR: path.join(gomodcache, `go.temporal.io/server@v${version}`, 'schema', 'postgresql', 'v12'),
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: `compose-check-${crypto.randomBytes(3).toString('hex')}`,
    };
    const schema = spawnSync('sh', [path.join(ROOT, 'deploy', 'temporal', 'setup-postgres.sh')], {
      env,
      encoding: 'utf8',
    });
    if (schema.status !== 0) throw new Error(`setup-postgres.sh failed:\n${schema.stdout}${schema.stderr}`);
    expect(schema.stdout).toContain('setup-postgres: schemas are up to date');
    const ns = spawnSync('sh', [path.join(ROOT, 'deploy', 'temporal', 'create-namespace.sh')], {
      env,
      encoding: 'utf8',
    });
    if (ns.status !== 0) throw new Error(`create-namespace.sh failed:\n${ns.stdout}${ns.stderr}`);
    expect(ns.stdout).toContain(`namespace ${env.TEMPORAL_NAMESPACE} is ready`);
    // Idempotent: a second run (a restarted job) leaves the namespace as it is.
    const again = spawnSync('sh', [path.join(ROOT, 'deploy', 'temporal', 'create-namespace.sh')], {
      env,
      encoding: 'utf8',
    });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('already exists');
    fs.rmSync(shims, { recursive: true, force: true });
  });

  test('worker and server as separate processes: a posted detection runs and is reported', async () => {
    httpPort = await freePort();
    const env = {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: NAMESPACE,
      NIGHTSHIFT_API_TOKENS: TOKEN,
      NIGHTSHIFT_HTTP_HOST: '127.0.0.1',
      NIGHTSHIFT_HTTP_PORT: String(httpPort),
      // Required in production roles (signed approval links).
      NIGHTSHIFT_PUBLIC_URL: `http://127.0.0.1:${httpPort}`,
      NIGHTSHIFT_LINK_SECRET: 'prod-topology-link-secret-0123456789abcdef',
      NIGHTSHIFT_LOG_LEVEL: 'warn',
      NIGHTSHIFT_WATCH: 'false',
    };
    const t0 = Date.now();
    worker = await startRole('worker', env);
    server = await startRole('server', env);
    expect(worker.out()).not.toMatch(/HTTP API/); // the worker serves no HTTP
    expect(server.out()).toContain(`http://127.0.0.1:${httpPort}`);

    // /healthz: the process serves; /readyz: Temporal answers and the (other process's) worker polls.
    expect((await api(httpPort, 'GET', '/healthz')).status).toBe(200);
    const ready = await until(
      'readyz',
      async () => {
        const r = await api(httpPort, 'GET', '/readyz');
        return r.status === 200 ? r.body : undefined;
      },
      60_000,
    );
    expect(ready).toMatchObject({ status: 'ready', checks: { temporal: 'ok', worker: 'ok' } });
    timings.rolesReadySec = Math.round((Date.now() - t0) / 1000);

    // Without the token: refused.
    expect((await api(httpPort, 'GET', '/v1/runs/x', undefined, 'wrong-token')).status).toBe(401);

    const detection = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'detection.json'), 'utf8'));
    const suffix = crypto.randomBytes(6).toString('hex');
    detection.id = `prod-e2e-${suffix}`;
    // A fresh incident and device too: the run key is the incident, and a run left by an earlier
    // test would make this an attach instead of a start.
    detection.incident_id = `prod-e2e-${suffix}`;
    detection.devices[0].id = crypto.createHash('sha1').update(suffix).digest('hex');
    detection.detected_at = new Date().toISOString();
    const posted = await api(httpPort, 'POST', '/v1/detections', detection);
    expect(posted.status).toBe(202);
    const runs = posted.body.runs as Array<{ workflowId: string; result: string; playbook: string }>;
    expect(runs.length).toBeGreaterThan(0);
    expect(runs[0].result).toBe('started');
    workflowId = runs[0].workflowId;
    started = runs.map((r) => r.workflowId);

    // The worker (another process) executes it until it waits for a human: an approval by day,
    // a page by night (America/Chicago calendar in nightshift.yaml).
    let last: unknown;
    const state = await until(
      () => `run ${workflowId} to reach approval or page (last state: ${JSON.stringify(last)})`,
      async () => {
        const r = await api(httpPort, 'GET', `/v1/runs/${encodeURIComponent(workflowId)}`);
        last = r.body;
        if (r.status !== 200) return undefined;
        return ['approval', 'page'].includes(String(r.body.currentStep)) ? r.body : undefined;
      },
      90_000,
    );
    expect(state.temporalStatus).toBe('RUNNING');
    expect(state.workflowId).toBe(workflowId);
    expect(state.detectionIds).toContain(detection.id);
    timings.detectionToWaitingSec = Math.round((Date.now() - t0) / 1000);

    // The run's history is in PostgreSQL, not in some embedded store.
    const pgPort = fs.readFileSync(path.join(PROD, 'pg', 'data', 'postmaster.pid'), 'utf8').split('\n')[3];
    const sql = `SELECT count(*) FROM executions WHERE workflow_id = '${workflowId.replace(/'/g, "''")}'`;
    const asPg = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
    const psql = [
      ...asPg,
      'psql',
      '-X',
      '-tA',
      '-h',
      path.join(PROD, 'pg', 'run'),
      '-p',
      pgPort,
      '-U',
      'postgres',
      '-d',
      'temporal',
      '-c',
      sql,
    ];
    const count = execFileSync(psql[0], psql.slice(1), { encoding: 'utf8' }).trim();
    expect(Number(count)).toBeGreaterThanOrEqual(1);
    process.stderr.write(
      `prod-topology: run ${workflowId} waits on ${String(state.currentStep)}; timings ${JSON.stringify(timings)}\n`,
    );
  });

  test('SIGTERM stops both roles cleanly', async () => {
    expect(await stop(server)).toBe(0);
    expect(await stop(worker)).toBe(0);
    server = worker = undefined;
  });
});
