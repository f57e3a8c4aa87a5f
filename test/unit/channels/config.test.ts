// Channel configuration: fully unset runs dry; set in part is refused at start, naming what is missing
// and never echoing a secret; the banner says which channels are live. Signed-link settings: generated
// for the embedded server, required in production roles.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { channelConfigFromEnv, channelModes, teamsMode } from '../../../integrations/channels-config';
import { createChannelActivities } from '../../../activities/channels';
import { approvalEmail } from '../../../integrations/email/render';
import type { OrgIR } from '../../../core/ir';
import { linkSettings } from '../../../platform/secrets';

const SID = 'AC' + 'a'.repeat(32);
const refused = (env: NodeJS.ProcessEnv) => {
  try {
    channelConfigFromEnv(env);
  } catch (err) {
    expect((err as Error).name).toBe('ChannelConfigError');
    return (err as Error).message;
  }
  throw new Error('accepted');
};

describe('channelConfigFromEnv', () => {
  it('fully unset: every channel runs dry', () => {
    expect(channelConfigFromEnv({})).toEqual({});
  });

  it('Slack: either half alone is refused, naming the other', () => {
    expect(refused({ SLACK_BOT_TOKEN: 'xoxb-1' })).toMatch(/^SLACK_SIGNING_SECRET is not set: .*503/);
    expect(refused({ SLACK_SIGNING_SECRET: 's' })).toMatch(/^SLACK_BOT_TOKEN is not set/);
    expect(
      channelConfigFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).slack,
    ).toMatchObject({
      botToken: 'xoxb-1',
      signingSecret: 's',
    });
  });

  it('Twilio: a part is refused, naming every missing variable', () => {
    expect(refused({ TWILIO_ACCOUNT_SID: SID })).toMatch(/^TWILIO_FROM, TWILIO_AUTH_TOKEN are not set: /);
    expect(refused({ TWILIO_AUTH_TOKEN: 'tok' })).toMatch(/^TWILIO_ACCOUNT_SID, TWILIO_FROM are not set/);
    expect(refused({ TWILIO_ACCOUNT_SID: SID, TWILIO_FROM: '+15550000000', TWILIO_API_KEY: 'SK1' })).toMatch(
      /^TWILIO_API_SECRET, TWILIO_AUTH_TOKEN or TWILIO_WEBHOOK_KEY are not set/,
    );
    expect(
      refused({ TWILIO_ACCOUNT_SID: 'AC1', TWILIO_FROM: '+15550000000', TWILIO_AUTH_TOKEN: 't' }),
    ).toMatch(/TWILIO_ACCOUNT_SID must be an account SID/);
    expect(refused({ TWILIO_ACCOUNT_SID: SID, TWILIO_FROM: '555-0100', TWILIO_AUTH_TOKEN: 't' })).toMatch(
      /TWILIO_FROM must be an E\.164 number/,
    );
    const ok = channelConfigFromEnv({
      TWILIO_ACCOUNT_SID: SID,
      TWILIO_FROM: '+15550000000',
      TWILIO_API_KEY: 'SK1',
      TWILIO_API_SECRET: 'x',
      TWILIO_WEBHOOK_KEY: 'w',
    });
    expect(ok.twilio).toMatchObject({ accountSid: SID, apiKey: 'SK1', webhookKey: 'w' });
  });

  it('email: SMTP_URL and EMAIL_FROM go together; the URL (with its password) is never echoed', () => {
    expect(refused({ SMTP_URL: 'smtps://u:hunter2@smtp.example' })).toMatch(/^EMAIL_FROM is not set/);
    expect(refused({ EMAIL_FROM: 'n@example.com' })).toMatch(/^SMTP_URL is not set/);
    const bad = refused({ SMTP_URL: 'http://u:hunter2@x', EMAIL_FROM: 'n@example.com' });
    expect(bad).toMatch(/SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL/);
    expect(bad).not.toContain('hunter2');
  });

  it('links: a secret under 32 bytes, a public URL that is no base URL, a TTL out of range', () => {
    expect(refused({ NIGHTSHIFT_LINK_SECRET: 'short' })).toMatch(
      /^NIGHTSHIFT_LINK_SECRET is 5 bytes; at least 32 are needed/,
    );
    expect(refused({ NIGHTSHIFT_PUBLIC_URL: 'soar.example' })).toMatch(/^NIGHTSHIFT_PUBLIC_URL must be/);
    expect(refused({ NIGHTSHIFT_PUBLIC_URL: 'https://soar.example/?x=1' })).toMatch(/NIGHTSHIFT_PUBLIC_URL/);
    expect(refused({ NIGHTSHIFT_LINK_TTL: 'soon' })).toMatch(
      /^NIGHTSHIFT_LINK_TTL="soon" must be whole seconds/,
    );
    expect(
      channelConfigFromEnv({
        NIGHTSHIFT_LINK_SECRET: 'x'.repeat(32),
        NIGHTSHIFT_PUBLIC_URL: 'https://soar.example/',
        NIGHTSHIFT_LINK_TTL: '600',
      }),
    ).toEqual({ linkSecret: 'x'.repeat(32), publicUrl: 'https://soar.example', linkTtlSec: 600 });
  });
});

const org = (channels: OrgIR['channels']) => ({ channels }) as unknown as OrgIR;
const twoTeams = org({
  a: { kind: 'teams', webhook: { env: 'TEAMS_A' } },
  b: { kind: 'teams', webhook: { env: 'TEAMS_B' } },
});

describe('Teams channels', () => {
  it('none set: dry run; all set: live; one set and one not: refused, naming the variable and channel', () => {
    expect(teamsMode(org({}), {})).toBe('none');
    expect(teamsMode(twoTeams, {})).toBe('dry-run');
    expect(teamsMode(twoTeams, { TEAMS_A: 'https://a', TEAMS_B: 'https://b' })).toBe('live');
    expect(() => teamsMode(twoTeams, { TEAMS_A: 'https://a' })).toThrow(
      "TEAMS_B is not set (the webhook of Teams channel 'b'): set it, or remove the channel from nightshift.yaml.",
    );
  });

  it('a delivery to a channel whose variable is unset, while Teams is live, fails naming it (no dry run)', async () => {
    const acts = createChannelActivities(
      {},
      { env: { TEAMS_A: 'https://a.example/x' }, org: () => twoTeams },
    );
    const err = await acts
      .notify({
        key: 'k',
        run: { workflowId: 'w', playbook: 'p', playbookVersion: 1, stepId: 's', detectionId: 'd' },
        to: { type: 'channel', id: 'b', channel: twoTeams.channels.b },
        message: 'hi',
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as Error).message).toBe("TEAMS_B is not set (the webhook of Teams channel 'b')");
  });

  it('the banner shows every channel live or DRY RUN', () => {
    expect(channelModes({}, twoTeams, {})).toEqual([
      'Slack: DRY RUN (no SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET)',
      'SMS and voice (Twilio): DRY RUN (no TWILIO_* credentials)',
      'Email: DRY RUN (no SMTP_URL, EMAIL_FROM)',
      'Teams: DRY RUN (TEAMS_A, TEAMS_B unset)',
    ]);
    const cfg = channelConfigFromEnv({
      SLACK_BOT_TOKEN: 'x',
      SLACK_SIGNING_SECRET: 'y',
      SMTP_URL: 'smtp://localhost',
      EMAIL_FROM: 'n@example.com',
    });
    expect(channelModes(cfg, twoTeams, { TEAMS_A: 'a', TEAMS_B: 'b' })).toEqual([
      'Slack: live',
      'SMS and voice (Twilio): DRY RUN (no TWILIO_* credentials)',
      'Email: live',
      'Teams: live (a, b)',
    ]);
  });
});

describe('signed-link settings', () => {
  const http = { host: '0.0.0.0', port: 8080 };

  it('embedded: a secret is generated once under the state dir (0600) and a local public URL is used', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nightshift-links-'));
    const first = linkSettings({ env: {}, embedded: true, http, stateDir: dir });
    const file = path.join(dir, 'link-secret');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.byteLength(first.env.NIGHTSHIFT_LINK_SECRET!)).toBeGreaterThanOrEqual(32);
    expect(first.env.NIGHTSHIFT_PUBLIC_URL).toBe('http://127.0.0.1:8080');
    expect(linkSettings({ env: {}, embedded: true, http, stateDir: dir }).env).toEqual(first.env);
    // What is generated passes the checks every process makes.
    expect(channelConfigFromEnv(first.env)).toMatchObject({ publicUrl: 'http://127.0.0.1:8080' });
    // Set variables win and nothing is generated.
    const given = linkSettings({
      env: { NIGHTSHIFT_LINK_SECRET: 'k'.repeat(40), NIGHTSHIFT_PUBLIC_URL: 'https://soar.example' },
      embedded: true,
      http,
      stateDir: path.join(dir, 'other'),
    });
    expect(given.env).toEqual({});
    expect(fs.existsSync(path.join(dir, 'other'))).toBe(false);
  });

  it('production: refused without the key or the public URL, naming them', () => {
    expect(() => linkSettings({ env: {}, embedded: false, http, stateDir: '/nonexistent' })).toThrow(
      /^NIGHTSHIFT_LINK_SECRET and NIGHTSHIFT_PUBLIC_URL are not set: with TEMPORAL_ADDRESS/,
    );
    expect(() =>
      linkSettings({
        env: { NIGHTSHIFT_PUBLIC_URL: 'https://soar.example' },
        embedded: false,
        http,
        stateDir: '/nonexistent',
      }),
    ).toThrow(/^NIGHTSHIFT_LINK_SECRET is not set/);
  });
});

describe('approval email', () => {
  const run = { workflowId: 'w', playbook: 'p', playbookVersion: 1, stepId: 's', detectionId: 'd' };
  it('an approver without links is told how to answer, never that they are no approver', () => {
    const m = approvalEmail({ run, question: 'Isolate?', code: '4821', expiresAt: 'x', approver: true });
    expect(m.text).not.toMatch(/not an approver/);
    expect(m.text).toMatch(/YES 4821 to approve, NO 4821 to deny/);
    const o = approvalEmail({ run, question: 'Isolate?', code: '4821', expiresAt: 'x', approver: false });
    expect(o.text).toMatch(/You are not an approver/);
  });
});
