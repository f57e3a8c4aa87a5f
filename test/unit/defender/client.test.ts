// The real client (msal-node + undici) against the fake over HTTPS: tokens cached and refreshed,
// certificate credentials, wrong audience, rejected secrets never echoed; the dry-run adapter.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';
import { createDefenderActivities } from '../../../activities/defender';
import { CallBudget, DefenderClient } from '../../../integrations/defender/client';
import { defenderConfigFromEnv } from '../../../integrations/defender/config';
import {
  DefenderApiError,
  DefenderAuthError,
  DefenderTokenRejected,
} from '../../../integrations/defender/errors';
import { QuotaGate } from '../../../integrations/defender/quota';
import { gatePermits } from '../../../activities/defender-quota';
import { DefenderFailure } from '../../../core/failures';
import { FakeDefender } from '../../fakes/defender/fake-defender';
import { CLIENT, SECRET, TENANT, liveConfig, startFake } from '../../fakes/defender/harness';

let fake: FakeDefender;
beforeAll(async () => {
  fake = await startFake();
});
afterAll(async () => fake.stop());

describe('DefenderClient against the fake', () => {
  it('caches the token across calls; a 401 of a cached token makes the next call get a fresh one', async () => {
    const client = new DefenderClient(liveConfig(fake));
    try {
      const before = fake.tokenRequests.length;
      for (let i = 0; i < 5; i++) await client.listAlerts({ top: 10, skip: 0, expandEvidence: false });
      expect(fake.tokenRequests.length - before).toBe(1);
      fake.revokeTokens();
      const calls = fake.apiCalls().length;
      // One call per activity task: the refused call is not repeated here but by the next attempt.
      const e = await client.listAlerts({ top: 10, skip: 0, expandEvidence: true }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DefenderTokenRejected);
      expect(fake.apiCalls().length - calls).toBe(1);
      await client.listAlerts({ top: 10, skip: 0, expandEvidence: true });
      expect(fake.tokenRequests.length - before).toBe(2);
      expect(fake.tokenRequests.at(-1)).toMatchObject({
        scope: 'https://api.securitycenter.microsoft.com/.default',
        credential: 'secret',
      });
      const last = fake.calls.at(-1)!;
      expect(last.query).toEqual({ $top: '10', $expand: 'evidence' });
    } finally {
      await client.close();
    }
  });

  it('renews short-lived tokens (expires_in below msal’s refresh margin) on each use', async () => {
    const short = await startFake({ tokenExpiresInS: 60, tokenValidityMs: 60_000 });
    const client = new DefenderClient(liveConfig(short));
    try {
      await client.listAlerts({ top: 1, skip: 0, expandEvidence: false });
      await client.listAlerts({ top: 1, skip: 0, expandEvidence: false });
      expect(short.tokenRequests.length).toBe(2);
    } finally {
      await client.close();
      await short.stop();
    }
  });

  it('authenticates with a certificate (signed client assertion)', async () => {
    const pems = await generate([{ name: 'commonName', value: 'nightshift-app' }], {
      keyType: 'rsa',
      keySize: 2048,
    });
    const certFake = await startFake({ clientSecret: undefined, clientCertPem: pems.cert });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'defcert-'));
    fs.writeFileSync(path.join(dir, 'app.pem'), `${pems.private}\n${pems.cert}`);
    const cfg = liveConfig(certFake, { DEFENDER_CERT_PATH: path.join(dir, 'app.pem') });
    const client = new DefenderClient(cfg);
    try {
      await client.listAlerts({ top: 1, skip: 0, expandEvidence: false });
      expect(certFake.tokenRequests).toEqual([expect.objectContaining({ credential: 'assertion' })]);
    } finally {
      await client.close();
      await certFake.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a rejected secret is a non-retryable auth error that does not echo the secret', async () => {
    const cfg = defenderConfigFromEnv(fake.env({ DEFENDER_CLIENT_SECRET: 'wrong-secret-0123456789' }));
    if (cfg.dryRun) throw new Error('expected live');
    const client = new DefenderClient(cfg);
    try {
      const e = await client.listAlerts({ top: 1, skip: 0, expandEvidence: false }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DefenderAuthError);
      expect((e as DefenderAuthError).retryable).toBe(false);
      expect((e as Error).message).toContain('invalid_client');
      expect((e as Error).message).not.toContain('wrong-secret-0123456789');
    } finally {
      await client.close();
    }
  });

  it('a token for the wrong resource gets 403 Forbidden', async () => {
    const client = new DefenderClient(
      liveConfig(fake, { DEFENDER_SCOPE: 'https://api.security.microsoft.com/.default' }),
    );
    try {
      const e = (await client
        .listAlerts({ top: 1, skip: 0, expandEvidence: false })
        .catch((x: unknown) => x)) as DefenderApiError;
      expect(e).toBeInstanceOf(DefenderApiError);
      expect(e.status).toBe(403);
      expect(e.code).toBe('Forbidden');
    } finally {
      await client.close();
    }
  });

  it('a closed port is a retryable network error', async () => {
    const client = new DefenderClient(
      liveConfig(fake, { DEFENDER_API_URL: 'https://127.0.0.1:1', DEFENDER_CONNECT_TIMEOUT_MS: '500' }),
    );
    try {
      const e = await client
        .getMachineAction('5382f7ea-7557-4ab7-9782-d50480024a4e')
        .catch((x: unknown) => x);
      expect((e as Error).name).toBe('DefenderNetworkError');
      expect((e as Error).message).toMatch(/ECONNREFUSED/);
    } finally {
      await client.close();
    }
  });

  it('exposes test constants consistent with the fake', () => {
    expect(fake.env()).toMatchObject({
      DEFENDER_TENANT_ID: TENANT,
      DEFENDER_CLIENT_ID: CLIENT,
      DEFENDER_CLIENT_SECRET: SECRET,
    });
  });
});

describe('one API call per activity task, each in a slot of the quota', () => {
  it('refuses a second call in one task', async () => {
    const client = new DefenderClient(liveConfig(fake));
    try {
      const budget = new CallBudget();
      await client.getAlert(fake.addAlert({}).id, budget);
      const calls = fake.apiCalls().length;
      await expect(client.getAlert('x', budget)).rejects.toThrow(/a second API call in one activity task/);
      expect(fake.apiCalls().length).toBe(calls); // nothing sent
    } finally {
      await client.close();
    }
  });

  it('sends nothing when the quota has no room for long: the attempt ends to be retried when there is', async () => {
    const gate = new QuotaGate([{ calls: 2, windowMs: 60_000 }]);
    const client = new DefenderClient(liveConfig(fake), { permits: gatePermits(gate) });
    try {
      const id = fake.addAlert({}).id;
      await client.getAlert(id);
      await client.getAlert(id);
      const calls = fake.apiCalls().length;
      const err = await client.getAlert(id).catch((e: unknown) => e);
      expect(err).toMatchObject({ type: DefenderFailure.QuotaWait });
      expect((err as Error).message).toMatch(
        /GET \/api\/alerts\/.* waits for the quota; trying again in 6\d s/,
      );
      expect(fake.apiCalls().length).toBe(calls);
    } finally {
      await client.close();
    }
  });

  it("holds the process's calls after a 429 until its Retry-After", async () => {
    const limited = await startFake({ rateLimit: { limit: 1, windowMs: 60_000, retryAfterS: 40 } });
    const gate = new QuotaGate([{ calls: 100, windowMs: 60_000 }]);
    const client = new DefenderClient(liveConfig(limited), { permits: gatePermits(gate) });
    try {
      const id = limited.addAlert({}).id;
      await client.getAlert(id);
      await expect(client.getAlert(id)).rejects.toMatchObject({ status: 429 });
      expect(gate.peek(Date.now()) - Date.now()).toBeGreaterThan(39_000);
      // The next call is not sent into the throttle: it waits (here: ends its attempt) instead.
      await expect(client.getAlert(id)).rejects.toMatchObject({ type: DefenderFailure.QuotaWait });
      expect(limited.apiCalls()).toHaveLength(2);
    } finally {
      await client.close();
      await limited.stop();
    }
  });
});

describe('token endpoint failures', () => {
  const listAlerts = (c: DefenderClient) => c.listAlerts({ top: 1, skip: 0, expandEvidence: false });
  const transient90033 = {
    error: 'temporarily_unavailable',
    error_description: 'AADSTS90033: A transient error has occurred. Please try again.\r\nTrace ID: 7c3280d4',
    error_codes: [90033],
  };

  it.each([
    ['an empty 500', 500, undefined, undefined],
    ['503 AADSTS90033 with Retry-After', 503, transient90033, { 'retry-after': '30' }],
    [
      '429 with Retry-After',
      429,
      { error: 'server_error', error_description: 'throttled' },
      { 'retry-after': '60' },
    ],
    ['400 AADSTS90033', 400, transient90033, undefined],
  ])(
    'after %s the next request really reaches the login host and succeeds',
    async (_what, status, body, headers) => {
      const client = new DefenderClient(liveConfig(fake));
      try {
        const before = fake.tokenAttempts().length;
        fake.failNextToken(status, body, headers);
        const e = await listAlerts(client).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(DefenderAuthError);
        expect((e as DefenderAuthError).retryable).toBe(true);
        // msal's throttling cache would answer the next request itself, without the network, for 30–60 s.
        await expect(listAlerts(client)).resolves.toEqual(expect.any(Array));
        expect(fake.tokenAttempts().length - before).toBe(2);
      } finally {
        await client.close();
      }
    },
  );

  it('a lost answer of the login host is retryable and says so', async () => {
    const client = new DefenderClient(liveConfig(fake));
    try {
      fake.loseNextResponse((m, p) => m === 'POST' && p.endsWith('/oauth2/v2.0/token'));
      const e = (await listAlerts(client).catch((x: unknown) => x)) as DefenderAuthError;
      expect(e).toBeInstanceOf(DefenderAuthError);
      expect(e.retryable).toBe(true);
      expect(e.message).toMatch(/network|socket|ECONNRESET/i);
      await expect(listAlerts(client)).resolves.toEqual(expect.any(Array));
    } finally {
      await client.close();
    }
  });

  it.each([
    [
      'an unknown application',
      { DEFENDER_CLIENT_ID: '99999999-bbbb-cccc-dddd-eeeeeeeeeeee' },
      /unauthorized_client: AADSTS700016/,
    ],
    ['an unknown tenant', { DEFENDER_TENANT_ID: '99999999-2222-3333-4444-555555555555' }, /AADSTS90002/],
    [
      'a wrong secret',
      { DEFENDER_CLIENT_SECRET: 'wrong-secret-0123456789' },
      /invalid_client: AADSTS7000215/,
    ],
  ])('%s fails at once, non-retryable, with the reason and without the secret', async (_w, env, reason) => {
    const cfg = defenderConfigFromEnv(fake.env(env));
    if (cfg.dryRun) throw new Error('expected live');
    const client = new DefenderClient(cfg);
    try {
      const e = (await listAlerts(client).catch((x: unknown) => x)) as DefenderAuthError;
      expect(e).toBeInstanceOf(DefenderAuthError);
      expect(e.retryable).toBe(false);
      expect(e.message).toMatch(reason);
      expect(e.message).not.toContain('wrong-secret-0123456789');
      expect(e.message).not.toContain(SECRET);
    } finally {
      await client.close();
    }
  });
});

describe('dry run', () => {
  it('calls nothing, logs DRY RUN and reports success', async () => {
    const lines: string[] = [];
    const acts = createDefenderActivities(defenderConfigFromEnv({}), {
      logger: { info: (_o, m) => lines.push(m ?? ''), warn: (_o, m) => lines.push(m ?? '') },
    });
    const run = { workflowId: 'w', playbook: 'p', playbookVersion: 1, stepId: 's', detectionId: 'd' };
    const r = await acts.defenderSubmit({
      key: 'k1',
      run,
      action: 'isolate',
      machineId: 'm1',
      params: { type: 'full' },
    });
    expect(r).toMatchObject({ dryRun: true, status: 'Succeeded', attached: false });
    expect(r.actionId).toMatch(/^dry-run-ns-[0-9a-f]{16}$/);
    const ind = await acts.defenderSubmit({
      key: 'k2',
      run,
      action: 'block_indicator',
      params: { type: 'ip', value: '1.2.3.4' },
    });
    expect(ind.indicatorId).toMatch(/^dry-run-/);
    expect(await acts.defenderPoll({ actionId: r.actionId!, machineId: 'm1' })).toEqual({
      status: 'Succeeded',
    });
    expect(lines[0]).toBe(
      'DRY RUN: Defender isolate on machine m1 not performed (no Defender tenant configured)',
    );
  });
});
