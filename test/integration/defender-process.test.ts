// Defender in running `nightshift` processes (the built CLI, as operators run it) against the fake
// Defender and the test run's Temporal server: the login checked at start and by /readyz; a worker
// killed with SIGKILL right after its isolate POST, replaced within seconds, with one POST in all.
// The processes serve the default task queue; every test of this file that does so lives here, so they
// never share it with another file.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TASK_QUEUE } from '../../core/queues';
import { startOrAttach } from '../../intake/start-or-attach';
import type { RunOutcome } from '../../core/run';
import { freePort } from '../../platform/temporal/dev-server';
import type { FakeDefender } from '../fakes/defender/fake-defender';
import { startFake } from '../fakes/defender/harness';
import { FIXTURES, detection, fixtureOrg, fixturePlaybook } from '../support/playbooks';
import { temporalAddress, testClient } from '../support/temporal';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'nightshift.js');
const TOKEN = 'defender-process-test-token';
const FIXTURE = path.join(FIXTURES, 'defender-process');

interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function nightshift(role: 'start' | 'worker', env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [BIN, role], {
    cwd: ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: temporalAddress(),
      NIGHTSHIFT_API_TOKENS: TOKEN,
      NIGHTSHIFT_CONFIG: path.join(FIXTURE, 'nightshift.yaml'),
      NIGHTSHIFT_PLAYBOOKS: path.join(FIXTURE, 'playbooks'),
      NIGHTSHIFT_WATCH: 'false',
      NIGHTSHIFT_LOG_LEVEL: 'warn',
      DEFENDER_INTAKE: 'false',
      // With TEMPORAL_ADDRESS these roles are production: signed links need their key and URL.
      NIGHTSHIFT_LINK_SECRET: 'defender-process-test-link-secret-0123456789',
      NIGHTSHIFT_PUBLIC_URL: 'https://soar.example',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b) => (out += b));
  child.stderr?.on('data', (b) => (out += b));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

async function until<T>(
  fn: () => T | Promise<T>,
  ok: (v: T) => boolean,
  ms: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(p: Proc | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
  await p.exited;
  clearTimeout(timer);
}

async function readyz(port: number): Promise<{ status: number; body: { checks: Record<string, string> } }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: (await res.json()) as { checks: Record<string, string> } };
}

let fake: FakeDefender;
beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) {
    const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('build failed');
  }
  // Tokens that msal renews on every use, so each readiness check really asks the login host.
  fake = await startFake({ tokenExpiresInS: 60, tokenValidityMs: 60_000 });
});
afterAll(async () => fake?.stop());

describe('Defender login of a running nightshift', () => {
  jest.setTimeout(120_000);

  it('refuses to start with a rejected secret, in one line, before starting anything', async () => {
    const p = nightshift('start', {
      ...fake.env({ DEFENDER_CLIENT_SECRET: 'a-stale-secret-0123456789' }),
      NIGHTSHIFT_HTTP_PORT: String(await freePort()),
    });
    expect(await p.exited).toBe(1);
    const lines = p.out().trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(
        /^nightshift: Defender: the login host refused the app's credentials: .*invalid_client: AADSTS7000215.* check DEFENDER_TENANT_ID, DEFENDER_CLIENT_ID and DEFENDER_CLIENT_SECRET\.$/,
      ),
    ]);
    expect(p.out()).not.toContain('a-stale-secret-0123456789');
  });

  it('says "token ok" in the banner, and /readyz reports Defender auth failing once the secret is refused', async () => {
    const port = await freePort();
    const p = nightshift('start', { ...fake.env(), NIGHTSHIFT_HTTP_PORT: String(port) });
    try {
      await until(
        p.out,
        (o) => /Nightshift is running/.test(o) || p.child.exitCode !== null,
        90_000,
        'start',
      );
      expect(p.out()).toContain('  Defender: live (token ok)');
      const ready = await until(
        () => readyz(port),
        (r) => r.status === 200,
        30_000,
        'ready',
      );
      expect(ready.body.checks.defender).toBe('ok');

      // The secret is rotated away in Entra while the server runs.
      const secret = fake.opts.clientSecret;
      fake.opts.clientSecret = 'rotated-in-entra-0123456789';
      try {
        const r = await readyz(port);
        expect(r.status).toBe(503);
        expect(r.body.checks.defender).toMatch(/^no Defender token: .*invalid_client: AADSTS7000215/);
      } finally {
        fake.opts.clientSecret = secret;
      }
    } finally {
      await stop(p);
    }
  });
});

describe('a nightshift worker killed mid-activity', () => {
  jest.setTimeout(180_000);

  it('is replaced within seconds: the new worker finishes the run, with exactly one isolate POST', async () => {
    const f = await startFake({ lifecycle: { pendingMs: 2_000, inProgressMs: 500, final: 'Succeeded' } });
    const { client, connection } = await testClient();
    let a: Proc | undefined;
    let b: Proc | undefined;
    try {
      const env = f.env({ DEFENDER_POLL_INTERVAL_MS: '1000' });
      a = nightshift('worker', env);
      await until(a.out, (o) => /is running/.test(o) || a!.child.exitCode !== null, 90_000, 'worker A');
      expect(a.out()).toContain('Defender: live (token ok)');

      const machine = 'ab'.repeat(20);
      f.addMachine(machine);
      const post = (m: string, p: string) => m === 'POST' && p === `/api/machines/${machine}/isolate`;
      // The POST reaches Defender (the action is created), and its worker dies before the answer.
      f.onRequest = (c) => {
        if (post(c.method, c.path)) a!.child.kill('SIGKILL');
      };
      f.loseNextResponse(post);
      const org = fixtureOrg('defender-process');
      const pb = fixturePlaybook('playbooks/isolate-now.yaml', org, {}, 'defender-process');
      const d = detection({ devices: [{ id: machine, name: 'wks-kill.corp.example', tags: [] }] });
      const started = await startOrAttach(client, { org, playbooks: [pb] }, d, { taskQueue: TASK_QUEUE });
      const handle = client.workflow.getHandle(started.runs[0].workflowId);
      await a.exited;
      f.onRequest = undefined;

      b = nightshift('worker', env);
      await until(b.out, (o) => /is running/.test(o) || b!.child.exitCode !== null, 90_000, 'worker B');
      const ready = Date.now();
      const out = (await handle.result()) as RunOutcome;
      const tookMs = Date.now() - ready;

      expect(out.outcome).toBe('completed');
      expect(out.steps.find((s) => s.id === 'isolate')).toMatchObject({
        status: 'succeeded',
        actions: [{ device: machine, status: 'Succeeded' }],
      });
      expect(f.apiCalls((c) => post(c.method, c.path))).toHaveLength(1);
      expect(f.actions).toHaveLength(1);
      // Without heartbeats the attempt stays with the dead worker until its 2 min start-to-close timeout.
      expect(tookMs).toBeLessThan(30_000);
      console.log(`run finished ${tookMs} ms after the new worker started`);
    } finally {
      await stop(a);
      await stop(b);
      await connection.close();
      await f.stop();
    }
  });
});
