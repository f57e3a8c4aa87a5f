// Defender's login checked at start and by /readyz, against the fake login host.
import { defenderAuthReadiness, defenderStartupCheck } from '../../../integrations/defender/auth-check';
import { DefenderClient } from '../../../integrations/defender/client';
import { defenderConfigFromEnv, type DefenderLiveConfig } from '../../../integrations/defender/config';
import type { FakeDefender } from '../../fakes/defender/fake-defender';
import { liveConfig, startFake } from '../../fakes/defender/harness';

let fake: FakeDefender;
beforeAll(async () => {
  fake = await startFake();
});
afterAll(async () => fake.stop());

async function withClient<T>(cfg: DefenderLiveConfig, fn: (c: DefenderClient) => Promise<T>): Promise<T> {
  const client = new DefenderClient(cfg);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

const wrongSecret = () => {
  const cfg = defenderConfigFromEnv(fake.env({ DEFENDER_CLIENT_SECRET: 'rotated-away-0123456789' }));
  if (cfg.dryRun) throw new Error('expected live');
  return cfg;
};

describe('Defender login at start', () => {
  it('says the token was obtained', async () => {
    expect(await withClient(liveConfig(fake), defenderStartupCheck)).toEqual({
      line: 'Defender: live (token ok)',
    });
  });

  it('refuses a rejected secret in one line naming the variables, without the secret', async () => {
    const r = await withClient(wrongSecret(), defenderStartupCheck);
    expect(r.refusal).toMatch(
      /^Defender: the login host refused the app's credentials: .*invalid_client: AADSTS7000215: Invalid client secret provided\..* check DEFENDER_TENANT_ID, DEFENDER_CLIENT_ID and DEFENDER_CLIENT_SECRET\.$/,
    );
    expect(r.refusal).not.toContain('\n');
    expect(r.refusal).not.toContain('rotated-away-0123456789');
  });

  it('starts anyway while the login host is briefly unavailable', async () => {
    fake.failNextToken(503, {
      error: 'temporarily_unavailable',
      error_description: 'AADSTS90033: try again',
    });
    const r = await withClient(liveConfig(fake), defenderStartupCheck);
    expect(r.refusal).toBeUndefined();
    expect(r.line).toMatch(/^Defender: live \(no token yet, retrying: .*temporarily_unavailable/);
  });
});

describe('Defender readiness check', () => {
  it('is ready while a token can be had', async () => {
    await withClient(liveConfig(fake), async (c) => {
      expect(await defenderAuthReadiness(c).check()).toBeNull();
    });
  });

  it('reports a refused login, and remembers it for a while instead of asking the login host again', async () => {
    let now = 1_000_000;
    await withClient(wrongSecret(), async (c) => {
      const check = defenderAuthReadiness(c, { holdMs: 15_000, now: () => now }).check;
      const before = fake.tokenAttempts().length;
      expect(await check()).toMatch(/^no Defender token: .*AADSTS7000215/);
      expect(await check()).toMatch(/AADSTS7000215/);
      expect(fake.tokenAttempts().length - before).toBe(1);
      now += 15_001;
      expect(await check()).toMatch(/AADSTS7000215/);
      expect(fake.tokenAttempts().length - before).toBe(2);
    });
  });
});
