// `nightshift start` as a newcomer runs it: embedded Temporal dev server on SQLite, worker and HTTP
// server in one process; a run started before Ctrl-C continues after a restart; set-up problems are
// one-line errors naming the fix. Uses the built CLI (scripts/setup.sh builds dist/ before the tests).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../worker/dev-server';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'nightshift.js');
const TOKEN = 'start-test-token';
const LINK_SECRET = 'start-test-link-secret-0123456789abcdef';

interface Started {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

async function ports() {
  return { temporal: await freePort(), ui: await freePort(), http: await freePort() };
}

function startNightshift(
  env: Record<string, string>,
  waitFor: RegExp | null = /Nightshift is running/,
): Promise<Started> {
  const child = spawn(process.execPath, [BIN, 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NIGHTSHIFT_API_TOKENS: TOKEN,
      // Given, so the test does not write .nightshift/link-secret of the checkout.
      NIGHTSHIFT_LINK_SECRET: LINK_SECRET,
      NIGHTSHIFT_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (out += b));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nightshift start did not come up:\n${out}`)), 90_000);
    const check = () => {
      if (waitFor && waitFor.test(out)) {
        clearTimeout(timer);
        resolve({ child, out: () => out, exited });
      }
    };
    child.stdout.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      resolve({ child, out: () => out, exited });
    });
  });
}

async function api(port: number, method: string, url: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${port}${url}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('nightshift start', () => {
  jest.setTimeout(180_000);
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'nightshift-start-'));

  beforeAll(() => {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) {
      const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
      if (r.status !== 0) throw new Error('build failed');
    }
  });

  it('starts Temporal, the worker and the HTTP server; a run survives Ctrl-C and a restart', async () => {
    const p = await ports();
    const env = {
      NIGHTSHIFT_TEMPORAL_PORT: String(p.temporal),
      NIGHTSHIFT_TEMPORAL_UI_PORT: String(p.ui),
      NIGHTSHIFT_HTTP_PORT: String(p.http),
      NIGHTSHIFT_DATA_DIR: data,
    };
    const first = await startNightshift(env);
    expect(first.out()).toContain(`HTTP API     http://127.0.0.1:${p.http}`);
    expect(first.out()).toContain(`Temporal UI  http://127.0.0.1:${p.ui}`);
    expect(first.out()).toContain('Defender: DRY RUN');
    // Every channel's mode, and where signed links point (the HTTP API itself by default).
    for (const line of [
      'Slack: DRY RUN (no SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET)',
      'SMS and voice (Twilio): DRY RUN (no TWILIO_* credentials)',
      'Email: DRY RUN (no SMTP_URL, EMAIL_FROM)',
      'Teams: DRY RUN (TEAMS_SOC_WEBHOOK unset)',
      `Links        http://127.0.0.1:${p.http}`,
    ])
      expect(first.out()).toContain(`  ${line}\n`);

    const ready = await api(p.http, 'GET', '/readyz');
    expect(ready).toMatchObject({ status: 200, body: { status: 'ready' } });

    const detection = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'detection.json'), 'utf8'));
    detection.id = `start-test-${Date.now()}`;
    detection.incident_id = `inc-${detection.id}`;
    const posted = await api(p.http, 'POST', '/v1/detections', detection);
    expect(posted.status).toBe(202);
    const runs = posted.body.runs as Array<{ playbook: string; workflowId: string; result: string }>;
    expect(runs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ playbook: 'contain-confirmed-threat', result: 'started' }),
      ]),
    );
    const id = encodeURIComponent(runs.find((r) => r.playbook === 'contain-confirmed-threat')!.workflowId);
    // Day or night in Chicago, the run waits: for an approval (day) or a page acknowledgement (night).
    let before: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) {
      before = (await api(p.http, 'GET', `/v1/runs/${id}`)).body;
      if (before.currentStep === 'approval' || before.currentStep === 'page') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(before).toMatchObject({ temporalStatus: 'RUNNING', playbook: 'contain-confirmed-threat' });
    expect(['approval', 'page']).toContain(before.currentStep);

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.out()).toContain('nightshift: stopped.');

    const second = await startNightshift(env);
    try {
      const after = await api(p.http, 'GET', `/v1/runs/${id}`);
      expect(after.body).toMatchObject({ temporalStatus: 'RUNNING', currentStep: before.currentStep });
      expect(after.body.effects).toEqual(before.effects);
    } finally {
      second.child.kill('SIGINT');
      expect(await second.exited).toBe(0);
    }
  });

  it('names a taken port and its fix in one line', async () => {
    const p = await ports();
    const blocker = net.createServer().listen(p.http, '127.0.0.1');
    try {
      const r = await startNightshift(
        {
          NIGHTSHIFT_TEMPORAL_PORT: String(p.temporal),
          NIGHTSHIFT_TEMPORAL_UI_PORT: String(p.ui),
          NIGHTSHIFT_HTTP_PORT: String(p.http),
          NIGHTSHIFT_DATA_DIR: data,
        },
        null,
      );
      expect(await r.exited).toBe(1);
      expect(r.out().trim()).toBe(
        `nightshift: port ${p.http} (HTTP API) is already in use: stop the program using it, or set NIGHTSHIFT_HTTP_PORT.`,
      );
    } finally {
      blocker.close();
    }
  });

  it('names an unreachable TEMPORAL_ADDRESS and its fix in one line', async () => {
    const p = await ports();
    const r = await startNightshift(
      {
        TEMPORAL_ADDRESS: `127.0.0.1:${p.temporal}`,
        NIGHTSHIFT_HTTP_PORT: String(p.http),
        NIGHTSHIFT_PUBLIC_URL: 'https://soar.example',
      },
      null,
    );
    expect(await r.exited).toBe(1);
    const lines = r.out().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^nightshift: cannot reach Temporal at 127\\.0\\.0\\.1:${p.temporal} \\(.*\\): check TEMPORAL_ADDRESS`,
      ),
    );
  });

  it('refuses a half-configured channel or missing link settings before starting anything, in one line', async () => {
    const p = await ports();
    const base = {
      NIGHTSHIFT_TEMPORAL_PORT: String(p.temporal),
      NIGHTSHIFT_TEMPORAL_UI_PORT: String(p.ui),
      NIGHTSHIFT_HTTP_PORT: String(p.http),
      NIGHTSHIFT_DATA_DIR: data,
    };
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ SLACK_BOT_TOKEN: 'xoxb-1' }, /^nightshift: SLACK_SIGNING_SECRET is not set: /],
      [
        { TWILIO_ACCOUNT_SID: 'AC' + '0'.repeat(32) },
        /^nightshift: TWILIO_FROM, TWILIO_AUTH_TOKEN are not set: /,
      ],
      [{ SMTP_URL: 'smtp://127.0.0.1:1' }, /^nightshift: EMAIL_FROM is not set: /],
      [
        { NIGHTSHIFT_LINK_SECRET: 'too-short' },
        /^nightshift: NIGHTSHIFT_LINK_SECRET is 9 bytes; at least 32/,
      ],
      [
        { TEMPORAL_ADDRESS: `127.0.0.1:${p.temporal}`, NIGHTSHIFT_LINK_SECRET: '' },
        /^nightshift: NIGHTSHIFT_LINK_SECRET and NIGHTSHIFT_PUBLIC_URL are not set: with TEMPORAL_ADDRESS/,
      ],
    ];
    for (const [env, want] of cases) {
      // Resolves on exit, or once running: then it did not refuse; stop it before failing.
      const r = await startNightshift({ ...base, ...env });
      if (r.child.exitCode === null) {
        r.child.kill('SIGINT');
        await r.exited;
        throw new Error(`started despite ${JSON.stringify(env)}:\n${r.out()}`);
      }
      expect(await r.exited).toBe(1);
      const lines = r.out().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(want);
    }
    // `nightshift worker` is a production role: the same refusal.
    const child = spawn(process.execPath, [BIN, 'worker'], {
      cwd: ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: `127.0.0.1:${p.temporal}`,
        NIGHTSHIFT_PUBLIC_URL: 'https://soar.example',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stderr.on('data', (b) => (out += b));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(out.trim()).toMatch(/^nightshift: NIGHTSHIFT_LINK_SECRET is not set: /);
  });

  it('setup says how to install Go when the Temporal binary must be built and Go is missing', () => {
    const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'setup.sh'), '--for-tests', '--temporal-only'], {
      cwd: ROOT,
      env: {
        ...process.env,
        PATH: '/usr/bin:/bin',
        NIGHTSHIFT_TEMPORAL_BIN: path.join(data, 'no-such', 'temporal'),
      },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^nightshift setup: Go is not installed, .*install Go 1\.25 or newer.*or set TEMPORAL_ADDRESS/,
    );
  });
});
