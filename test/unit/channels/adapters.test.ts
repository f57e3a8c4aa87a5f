// The adapters against the protocol fakes, outside Temporal: dry runs, error mapping, rate limits,
// and the Slack metadata fallback that prevents a duplicate when a heartbeat was lost.
import { ApplicationFailure } from '@temporalio/common';
import { createChannelActivities, type DryRunRecord } from '../../../activities/channels';
import type { RunRef } from '../../../core/effects';
import { SlackAdapter } from '../../../integrations/slack/adapter';
import { TeamsAdapter } from '../../../integrations/teams/adapter';
import { TwilioAdapter } from '../../../integrations/twilio/adapter';
import { EmailAdapter, messageIdFor } from '../../../integrations/email/adapter';
import { startFakeSlack } from '../../fakes/slack';
import { startFakeTwilio } from '../../fakes/twilio';
import { startFakeTeams } from '../../fakes/teams';
import { startFakeSmtp } from '../../fakes/smtp';

const run: RunRef = {
  workflowId: 'wf-1',
  playbook: 'contain-host',
  playbookVersion: 1,
  stepId: 'n',
  detectionId: 'd1',
};
const SID = 'AC' + '1'.repeat(32);

describe('dry run', () => {
  it('records and returns dryRun for every channel without credentials', async () => {
    const records: DryRunRecord[] = [];
    const lines: string[] = [];
    const log = { info: (_o: object, m?: string) => lines.push(m ?? ''), warn() {}, error() {} };
    const acts = createChannelActivities({}, { record: (r) => records.push(r), log, env: {} });
    const slack = await acts.notify({
      key: 'k1',
      run,
      to: { type: 'channel', id: 's', channel: { kind: 'slack', channel: 'C1' } },
      message: 'hi',
    });
    const teams = await acts.notify({
      key: 'k2',
      run,
      to: { type: 'channel', id: 't', channel: { kind: 'teams', webhook: { env: 'UNSET' } } },
      message: 'hi',
    });
    const mail = await acts.notify({
      key: 'k3',
      run,
      to: { type: 'channel', id: 'e', channel: { kind: 'email', to: ['a@x.io'] } },
      message: 'hi',
    });
    const sms = await acts.page({
      key: 'k4',
      run,
      pageId: 'wf-1|p|1',
      code: '1234',
      person: { id: 'a', name: 'A', phone: '+15550001111' },
      via: 'sms',
      message: 'up',
    });
    const voice = await acts.page({
      key: 'k5',
      run,
      pageId: 'wf-1|p|1',
      code: '1234',
      person: { id: 'a', name: 'A', phone: '+15550001111' },
      via: 'voice',
      message: 'up',
    });
    for (const p of [slack, teams, mail, sms, voice]) expect(p.dryRun).toBe(true);
    expect(records.map((r) => r.channel)).toEqual(['slack', 'teams', 'email', 'sms', 'voice']);
    expect(lines.every((l) => l.startsWith('DRY RUN'))).toBe(true);
  });

  it('a person without any address is a permanent error', async () => {
    const acts = createChannelActivities({});
    await expect(
      acts.notify({ key: 'k', run, to: { type: 'person', person: { id: 'x', name: 'X' } }, message: 'm' }),
    ).rejects.toMatchObject({ nonRetryable: true });
  });
});

describe('Slack adapter', () => {
  it('waits for Retry-After on 429, surfaces ok:false as a platform error, finds a message by metadata', async () => {
    const fake = await startFakeSlack({ token: 'xoxb-1', channels: ['C1'] });
    try {
      const a = new SlackAdapter({ token: 'xoxb-1', apiUrl: fake.apiUrl, retries: 1 });
      const progress = { attempt: 1, get: () => undefined, set() {} };
      fake.rateLimitNext('chat.postMessage', 1);
      const t0 = Date.now();
      const p = await a.post('key-1', progress, 's', 'C1', 'hello', []);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      expect(fake.messages).toHaveLength(1);
      expect(fake.messages[0].metadata).toEqual({
        event_type: 'nightshift_message',
        event_payload: { key: 'key-1' },
      });
      fake.failNext('chat.update', 'message_not_found');
      await expect(a.update('C1', p.ts, 'x', [])).rejects.toMatchObject({
        code: 'slack_webapi_platform_error',
        data: { error: 'message_not_found' },
      });
      await expect(a.post('k', progress, 's', 'C404', 'x', [])).rejects.toMatchObject({
        data: { error: 'channel_not_found' },
      });
      // A retry whose heartbeat was lost finds the first post instead of posting again.
      const again = await a.post(
        'key-1',
        { attempt: 2, get: () => undefined, set() {} },
        's',
        'C1',
        'hello',
        [],
      );
      expect(p.fresh).toBe(true); // posted by this call
      expect(again).toEqual({ channel: p.channel, ts: p.ts }); // found again, not posted: not fresh
      expect(fake.messages).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });
});

describe('Twilio adapter', () => {
  it('sends through the fake, retries 429, maps a bad number to a non-retryable failure', async () => {
    const fake = await startFakeTwilio({ accountSid: SID, authToken: 'tok' });
    try {
      const a = new TwilioAdapter({
        accountSid: SID,
        authToken: 'tok',
        from: '+15550000000',
        apiBase: fake.url,
      });
      fake.rateLimitNext(1);
      expect(await a.sms('+15551234567', 'hi')).toMatch(/^SM[0-9a-f]{32}$/);
      expect(fake.messages).toHaveLength(1);
      expect(await a.call('+15551234567', '<Response><Say>x</Say></Response>')).toMatch(/^CA/);
      const err = await a.sms('5551234567', 'hi').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ nonRetryable: true, message: expect.stringMatching(/400 21211/) });
      const wrong = new TwilioAdapter({
        accountSid: SID,
        authToken: 'bad',
        from: '+15550000000',
        apiBase: fake.url,
      });
      await expect(wrong.sms('+15551234567', 'x')).rejects.toMatchObject({ nonRetryable: true });
    } finally {
      await fake.close();
    }
  });
});

describe('Teams adapter', () => {
  it('posts an Adaptive Card (202), refuses over 28 KB, retries 429, never leaks the URL', async () => {
    const fake = await startFakeTeams();
    try {
      const a = new TeamsAdapter();
      const url = fake.webhook('soc');
      await a.post(url, { type: 'AdaptiveCard', version: '1.4', body: [] }, 'soc-teams');
      expect(fake.cards).toHaveLength(1);
      const big = {
        type: 'AdaptiveCard',
        version: '1.4',
        body: [{ type: 'TextBlock', text: 'x'.repeat(30_000) }],
      };
      await expect(a.post(url, big, 'soc-teams')).rejects.toMatchObject({
        nonRetryable: true,
        message: expect.stringMatching(/28 KB/),
      });
      fake.rateLimitNext();
      const e = (await a
        .post(url, { type: 'AdaptiveCard', body: [] }, 'soc-teams')
        .catch((x: unknown) => x)) as ApplicationFailure;
      expect(e.nonRetryable).toBe(false);
      expect(e.message).toMatch(/HTTP 429/);
      expect(e.message).not.toContain('sig=');
      await expect(a.post('http://example.com/hook?sig=secret', {}, 'x')).rejects.toMatchObject({
        message: expect.not.stringContaining('secret'),
      });
    } finally {
      await fake.close();
    }
  });
});

describe('Email adapter', () => {
  it('sends HTML + text with the derived Message-ID; a rejected recipient is permanent', async () => {
    const sink = await startFakeSmtp();
    const a = new EmailAdapter(sink.url, 'Nightshift <ns@example.com>');
    try {
      const id = messageIdFor('key', 'a@example.com', a.from);
      expect(id).toMatch(/^<[0-9a-f]{32}@example\.com>$/);
      await a.send({ to: 'a@example.com', subject: 'S', text: 'T', html: '<p>H</p>', messageId: id });
      expect(sink.mails[0].header('Message-ID')).toBe(id);
      expect(sink.mails[0].raw).toMatch(/multipart\/alternative/);
      await expect(
        a.send({ to: 'reject@example.com', subject: 'S', text: 'T', html: 'H', messageId: '<x@y>' }),
      ).rejects.toMatchObject({ nonRetryable: true });
    } finally {
      a.close();
      await sink.close();
    }
  });
});
