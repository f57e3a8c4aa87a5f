// `nightshift start` as a newcomer runs it: embedded Temporal dev server on SQLite, worker and HTTP
// server in one process; a run started before Ctrl-C continues after a restart; set-up problems are
// one-line errors naming the fix. Uses the built CLI (scripts/setup.sh builds dist/ before the tests).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, isPortFree } from '../../platform/temporal/dev-server';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'nightshift.js');
const TOKEN = 'start-test-token';
const LINK_SECRET = 'start-test-link-secret-0123456789abcdef';

interface Started {
  child: ChildProcess;
  /** stdout and stderr as they came, interleaved. */
  out: () => string;
  /** stdout only: the JSON log stream. */
  stdout: () => string;
  stderr: () => string;
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
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => ((out += b), (stdout += b)));
  child.stderr.on('data', (b) => ((out += b), (stderr += b)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = { child, out: () => out, stdout: () => stdout, stderr: () => stderr, exited };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nightshift start did not come up:\n${out}`)), 90_000);
    const check = () => {
      if (waitFor && waitFor.test(out)) {
        clearTimeout(timer);
        resolve(started);
      }
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      resolve(started);
    });
  });
}

/** The pid of the embedded Temporal of a start on this port, from the watchdog's pid file. */
function serverPid(port: number): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(ROOT, '.nightshift', `temporal-${port}.pid`), 'utf8').trim());
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`not reached in ${ms} ms: ${String(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The embedded Temporal and its port are gone (within the watchdog's stop time). */
async function expectTemporalGone(pid: number, port: number): Promise<void> {
  await until(
    () => alive(pid),
    (a) => !a,
    20_000,
  );
  expect(await isPortFree(port)).toBe(true);
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

  it('writes one JSON log stream on stdout: no bundler report, no multi-line dump, no secret', async () => {
    const p = await ports();
    const secrets = {
      NIGHTSHIFT_WEBHOOK_SECRETS: 'webhook-secret-of-the-start-test-0123456789',
      NIGHTSHIFT_LINK_SECRET: 'link-secret-of-the-start-test-0123456789abcd',
    };
    const r = await startNightshift({
      NIGHTSHIFT_TEMPORAL_PORT: String(p.temporal),
      NIGHTSHIFT_TEMPORAL_UI_PORT: String(p.ui),
      NIGHTSHIFT_HTTP_PORT: String(p.http),
      NIGHTSHIFT_DATA_DIR: data,
      NIGHTSHIFT_LOG_LEVEL: 'debug',
      ...secrets,
    });
    try {
      const detection = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'detection.json'), 'utf8'));
      detection.id = `logs-test-${Date.now()}`;
      detection.incident_id = `inc-${detection.id}`;
      expect((await api(p.http, 'POST', '/v1/detections', detection)).status).toBe(202);
      // A refused link and a bad token: their secrets must not be logged either.
      const linkToken = `${Buffer.from('{"v":1,"k":"decide"}').toString('base64url')}.${'Q'.repeat(43)}`;
      await fetch(`http://127.0.0.1:${p.http}/v1/links?t=${linkToken}`, { method: 'PUT' });
      await fetch(`http://127.0.0.1:${p.http}/v1/runs`, {
        headers: { authorization: `Bearer ${linkToken}` },
      });
      // The run reaches its people (dry run) before the stop.
      await until(
        () => r.stdout(),
        (o) => o.includes('DRY RUN'),
      );
      r.child.kill('SIGINT');
      expect(await r.exited).toBe(0);

      const lines = r
        .stdout()
        .split('\n')
        .filter((l) => l !== '');
      expect(lines.length).toBeGreaterThan(5);
      const notJson = lines.filter((l) => {
        try {
          const v = JSON.parse(l);
          return !(v && typeof v === 'object' && typeof v.level === 'number' && typeof v.msg === 'string');
        } catch {
          return true;
        }
      });
      expect(notJson).toEqual([]);
      const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      // The embedded server's output and the SDK's lines are in the stream, as JSON.
      expect(records.some((x) => x.component === 'temporal-server')).toBe(true);
      expect(records.some((x) => x.component === 'temporal-sdk')).toBe(true);
      expect(records.some((x) => x.msg === 'nightshift is running')).toBe(true);
      // Request lines are debug, not info.
      const requestLines = records.filter((x) => /incoming request|request completed/.test(String(x.msg)));
      expect(requestLines.length).toBeGreaterThan(0);
      expect(requestLines.filter((x) => x.level !== 20)).toEqual([]);
      // No bundler report anywhere, and no warning about the Defender queue having no workflows.
      expect(r.out()).not.toMatch(/webpack|asset workflow-bundle|modules by path/);
      expect(
        records.filter((x) => (x.level as number) >= 40 && /No workflows registered/.test(String(x.msg))),
      ).toEqual([]);
      for (const secret of [TOKEN, linkToken, ...Object.values(secrets)])
        expect(r.out()).not.toContain(secret);
      // stderr is for people: the banner and the stop lines.
      expect(r.stderr()).toMatch(/^Nightshift is running\. Ctrl-C stops it\./);
      expect(r.stderr()).toContain('nightshift: stopped.');
    } finally {
      if (r.child.exitCode === null) r.child.kill('SIGKILL');
    }
  });

  it('stops the embedded Temporal when its output is closed (`nightshift start | head -1`)', async () => {
    const p = await ports();
    const env = {
      ...process.env,
      NIGHTSHIFT_API_TOKENS: TOKEN,
      NIGHTSHIFT_LOG_LEVEL: 'info',
      NIGHTSHIFT_TEMPORAL_PORT: String(p.temporal),
      NIGHTSHIFT_TEMPORAL_UI_PORT: String(p.ui),
      NIGHTSHIFT_HTTP_PORT: String(p.http),
      NIGHTSHIFT_DATA_DIR: data,
    };
    const pipeline = spawn('sh', ['-c', `"${process.execPath}" "${BIN}" start | head -1`], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    pipeline.stdout.on('data', (b) => (out += b));
    pipeline.stderr.on('data', (b) => (err += b));
    const done = new Promise<number | null>((resolve) => pipeline.once('exit', (code) => resolve(code)));
    const pid = await until(
      () => serverPid(p.temporal),
      (v) => v !== undefined && v > 0,
      90_000,
    );
    // More lines after head has gone (a start-up line, or a detection's effects) meet a closed pipe.
    let finished = false;
    void done.then(() => (finished = true));
    await until(
      () =>
        finished
          ? true
          : fetch(`http://127.0.0.1:${p.http}/healthz`).then(
              (r) => r.ok,
              () => false,
            ),
      (ok) => ok,
      60_000,
    );
    if (!finished) {
      const detection = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'detection.json'), 'utf8'));
      detection.id = `epipe-test-${Date.now()}`;
      await api(p.http, 'POST', '/v1/detections', detection).catch(() => undefined);
    }
    expect(await done).toBe(0);
    expect(out.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(out)).toMatchObject({ level: 30 });
    expect(err).toContain('stdout was closed (EPIPE)');
    expect(err).not.toMatch(/Error: write EPIPE|Unhandled 'error' event/);
    await expectTemporalGone(pid!, p.temporal);
  });

  it.each([
    ['SIGTERM', 0],
    ['an uncaught error', 1],
    ['SIGKILL of nightshift itself', null],
  ] as const)('never leaves the embedded Temporal running: %s', async (how, code) => {
    const p = await ports();
    const r = await startNightshift({
      NIGHTSHIFT_TEMPORAL_PORT: String(p.temporal),
      NIGHTSHIFT_TEMPORAL_UI_PORT: String(p.ui),
      NIGHTSHIFT_HTTP_PORT: String(p.http),
      NIGHTSHIFT_DATA_DIR: data,
      NODE_OPTIONS: `--require ${path.join(ROOT, 'test', 'support', 'crash-on-sigusr2.js')}`,
    });
    const pid = serverPid(p.temporal)!;
    expect(alive(pid)).toBe(true);
    r.child.kill(how === 'SIGTERM' ? 'SIGTERM' : how === 'an uncaught error' ? 'SIGUSR2' : 'SIGKILL');
    expect(await r.exited).toBe(code);
    if (how === 'an uncaught error') {
      expect(r.stderr()).toContain('nightshift: uncaught error: injected uncaught error: stopping');
      expect(r.stdout()).toMatch(/"level":60,.*"msg":"uncaught error: stopping"/);
    }
    await expectTemporalGone(pid, p.temporal);
  });

  it('reclaims a Temporal of its own left running, and never touches someone else’s process', async () => {
    const p = await ports();
    const env = {
      NIGHTSHIFT_TEMPORAL_PORT: String(p.temporal),
      NIGHTSHIFT_TEMPORAL_UI_PORT: String(p.ui),
      NIGHTSHIFT_HTTP_PORT: String(p.http),
      NIGHTSHIFT_DATA_DIR: data,
    };
    // A leftover: its watchdog and the start that owned it were killed outright.
    const first = await startNightshift(env);
    const pid = serverPid(p.temporal)!;
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const watchdog = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    process.kill(watchdog, 'SIGKILL');
    first.child.kill('SIGKILL');
    await first.exited;
    expect(alive(pid)).toBe(true);
    expect(await isPortFree(p.temporal)).toBe(false);

    const second = await startNightshift({ ...env, NIGHTSHIFT_LOG_LEVEL: 'info' });
    try {
      expect(second.out()).toContain('Nightshift is running');
      expect(second.stdout()).toContain(
        `"pid":${pid},"msg":"stopped a Temporal dev server left running by an earlier nightshift start"`,
      );
      expect(alive(pid)).toBe(false);
    } finally {
      second.child.kill('SIGINT');
      expect(await second.exited).toBe(0);
    }

    // Someone else's process on the port, and a pid file that names another live process: a one-line
    // error, and that process lives on.
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    const blocker = net.createServer().listen(p.temporal, '127.0.0.1');
    fs.writeFileSync(path.join(ROOT, '.nightshift', `temporal-${p.temporal}.pid`), `${other.pid}\n`);
    try {
      const r = await startNightshift(env, null);
      expect(await r.exited).toBe(1);
      expect(r.out().trim()).toBe(
        `nightshift: port ${p.temporal} (Temporal) is already in use: stop the program using it, or choose another port with NIGHTSHIFT_TEMPORAL_PORT.`,
      );
      expect(alive(other.pid!)).toBe(true);
    } finally {
      other.kill('SIGKILL');
      blocker.close();
    }
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
