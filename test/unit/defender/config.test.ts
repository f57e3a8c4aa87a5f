import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import { generate } from 'selfsigned';
import {
  cloudEndpoints,
  defenderConfigFromEnv,
  describeDefenderConfig,
  type DefenderLiveConfig,
} from '../../../integrations/defender/config';
import { defenderActivityOptions } from '../../../workflows/activity-options';
import { DEFENDER_POLL_INTERVAL_MS } from '../../../integrations/defender/config';
import {
  defenderWorkerOptions,
  UNLIMITED_TASKS_PER_SECOND,
} from '../../../integrations/defender/worker-options';

const T = '11111111-2222-3333-4444-555555555555';
const C = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const base = { DEFENDER_TENANT_ID: T, DEFENDER_CLIENT_ID: C, DEFENDER_CLIENT_SECRET: 'super-secret-value' };

function live(env: Record<string, string>): DefenderLiveConfig {
  const cfg = defenderConfigFromEnv(env);
  if (cfg.dryRun) throw new Error('dry run');
  return cfg;
}

describe('defenderConfigFromEnv', () => {
  it('is a dry run when nothing is configured', () => {
    const cfg = defenderConfigFromEnv({});
    expect(cfg).toMatchObject({
      dryRun: true,
      mode: 'dry-run',
      cloud: 'commercial',
      quotas: [
        { calls: 100, windowMs: 60_000 },
        { calls: 1500, windowMs: 3_600_000 },
      ],
    });
    expect(describeDefenderConfig(cfg)).toContain('DRY RUN');
  });

  it('selects hosts, authority and scopes per cloud (reference §1, §2.2)', () => {
    expect(live(base)).toMatchObject({
      apiUrl: 'https://api.security.microsoft.com',
      authority: `https://login.microsoftonline.com/${T}`,
      scope: 'https://api.securitycenter.microsoft.com/.default',
      xdrApiUrl: 'https://api.security.microsoft.com',
      xdrScope: 'https://api.security.microsoft.com/.default',
      portalUrl: 'https://security.microsoft.com',
    });
    expect(live({ ...base, DEFENDER_GEO: 'eu' })).toMatchObject({
      apiUrl: 'https://eu.api.security.microsoft.com',
      xdrApiUrl: 'https://api-eu.security.microsoft.com',
    });
    expect(live({ ...base, DEFENDER_CLOUD: 'gcc' })).toMatchObject({
      apiUrl: 'https://api-gcc.securitycenter.microsoft.us',
      authority: `https://login.microsoftonline.com/${T}`,
      scope: 'https://api-gcc.securitycenter.microsoft.us/.default',
      xdrApiUrl: 'https://api-gcc.security.microsoft.us',
    });
    for (const cloud of ['gcc-high', 'dod']) {
      expect(live({ ...base, DEFENDER_CLOUD: cloud })).toMatchObject({
        apiUrl: 'https://api-gov.securitycenter.microsoft.us',
        authority: `https://login.microsoftonline.us/${T}`,
        scope: 'https://api-gov.securitycenter.microsoft.us/.default',
        xdrApiUrl: 'https://api-gov.security.microsoft.us',
      });
    }
    expect(cloudEndpoints('gcc').portalUrl).toBeUndefined();
  });

  it('takes URL overrides (the test fake) and trusts the overridden authority host', () => {
    const cfg = live({
      ...base,
      DEFENDER_API_URL: 'https://127.0.0.1:8443/',
      DEFENDER_AUTHORITY_URL: 'https://127.0.0.1:8443',
    });
    expect(cfg).toMatchObject({
      apiUrl: 'https://127.0.0.1:8443',
      authority: `https://127.0.0.1:8443/${T}`,
      customAuthorityHost: '127.0.0.1:8443',
    });
  });

  it.each([
    [{ DEFENDER_CLIENT_ID: C, DEFENDER_CLIENT_SECRET: 'x' }, 'DEFENDER_TENANT_ID is not set'],
    [{ DEFENDER_TENANT_ID: T, DEFENDER_CLIENT_SECRET: 'x' }, 'DEFENDER_CLIENT_ID is not set'],
    [
      { DEFENDER_TENANT_ID: T, DEFENDER_CLIENT_ID: C },
      'DEFENDER_CLIENT_SECRET or DEFENDER_CERT_PATH must be set',
    ],
    [{ ...base, DEFENDER_CLIENT_ID: 'not-a-guid' }, 'DEFENDER_CLIENT_ID must be a GUID'],
    [{ ...base, DEFENDER_TENANT_ID: 'bad tenant!' }, 'DEFENDER_TENANT_ID must be a tenant GUID'],
    [
      { ...base, DEFENDER_CLOUD: 'mooncake' },
      'DEFENDER_CLOUD must be one of commercial, gcc, gcc-high, dod (got "mooncake")',
    ],
    [
      { ...base, DEFENDER_CLOUD: 'gcc', DEFENDER_GEO: 'eu' },
      'DEFENDER_GEO applies only to DEFENDER_CLOUD=commercial',
    ],
    [{ ...base, DEFENDER_API_URL: 'http://127.0.0.1' }, 'DEFENDER_API_URL must be an https:// URL'],
    [
      { ...base, DEFENDER_CALLS_PER_MINUTE: '0' },
      'DEFENDER_CALLS_PER_MINUTE must be a whole number from 1 to 100000 (got "0")',
    ],
    [
      { ...base, DEFENDER_CERT_PATH: '/nonexistent.pem' },
      'set either DEFENDER_CLIENT_SECRET or DEFENDER_CERT_PATH, not both',
    ],
    [
      { DEFENDER_TENANT_ID: T, DEFENDER_CLIENT_ID: C, DEFENDER_CERT_PATH: '/nonexistent.pem' },
      'DEFENDER_CERT_PATH: cannot read /nonexistent.pem (ENOENT)',
    ],
    [{ ...base, DEFENDER_CA_CERT_PATH: '/nonexistent-ca.pem' }, 'DEFENDER_CA_CERT_PATH: cannot read'],
  ])('refuses %j with a one-line message', (env, message) => {
    let err: Error | undefined;
    try {
      defenderConfigFromEnv(env as Record<string, string>);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.name).toBe('DefenderConfigError');
    expect(err?.message).toContain(message);
    expect(err?.message).not.toContain('\n');
    expect(err?.message).not.toContain('super-secret-value');
  });

  it('never prints the secret', () => {
    const cfg = live(base);
    const printed = [
      JSON.stringify(cfg),
      util.inspect(cfg, { depth: 10 }),
      String(cfg.credential.kind === 'secret' && cfg.credential.secret),
      describeDefenderConfig(cfg),
    ].join(' ');
    expect(printed).not.toContain('super-secret-value');
    expect(printed).toContain('[REDACTED]');
  });

  it('reads a certificate credential: key, SHA-256 thumbprint, optional passphrase', async () => {
    const pems = await generate([{ name: 'commonName', value: 'nightshift' }], {
      keyType: 'rsa',
      keySize: 2048,
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'defcert-'));
    const file = path.join(dir, 'app.pem');
    fs.writeFileSync(file, `${pems.private}\n${pems.cert}`);
    const cfg = live({ DEFENDER_TENANT_ID: T, DEFENDER_CLIENT_ID: C, DEFENDER_CERT_PATH: file });
    expect(cfg.credential.kind).toBe('certificate');
    if (cfg.credential.kind !== 'certificate') return;
    expect(cfg.credential.thumbprintSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(cfg.credential.privateKey.reveal()).toContain('BEGIN PRIVATE KEY');
    expect(JSON.stringify(cfg)).not.toContain('PRIVATE KEY');
    fs.writeFileSync(file, pems.cert);
    expect(() =>
      defenderConfigFromEnv({ DEFENDER_TENANT_ID: T, DEFENDER_CLIENT_ID: C, DEFENDER_CERT_PATH: file }),
    ).toThrow('holds no usable private key');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('rate limit and activity options', () => {
  it('reads the quota windows; the task queue itself is not rate-limited (the quota gate paces calls)', () => {
    expect(live({ ...base, DEFENDER_CALLS_PER_MINUTE: '10', DEFENDER_CALLS_PER_HOUR: '200' })).toMatchObject({
      quotas: [
        { calls: 10, windowMs: 60_000 },
        { calls: 200, windowMs: 3_600_000 },
      ],
    });
    const opts = defenderWorkerOptions({ taskQueue: 'q-defender' });
    expect(opts).toMatchObject({
      taskQueue: 'q-defender',
      maxTaskQueueActivitiesPerSecond: UNLIMITED_TASKS_PER_SECOND,
    });
    expect(defenderWorkerOptions().taskQueue).toBe('nightshift-defender');
  });

  it('bounds submit and poll by the step timeout, with non-retryable 4xx types', () => {
    const o = defenderActivityOptions(600_000);
    expect(o.submit).toMatchObject({ taskQueue: 'nightshift-defender', scheduleToCloseTimeout: 600_000 });
    expect(o.poll).toMatchObject({ taskQueue: 'nightshift-defender', scheduleToCloseTimeout: 600_000 });
    expect(o.poll.retry?.nonRetryableErrorTypes).toContain('DefenderNotFound');
    expect(DEFENDER_POLL_INTERVAL_MS).toBe(10_000);
  });
});
