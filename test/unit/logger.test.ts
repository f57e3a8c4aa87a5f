// The last line of defence of the logs: whatever wrote a line, secrets are gone from it.
import { Writable } from 'node:stream';
import { logEffect } from '../../platform/effect-log';
import { createLogger, scrub, secretValuesFromEnv } from '../../platform/logger';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, destination };
}

describe('scrub', () => {
  it.each([
    ['a link token in a query', 'GET /v1/links?t=abc.def&x=1', 'GET /v1/links?t=[redacted]&x=1'],
    [
      'several secret parameters',
      '/cb?token=1&sig=2&Signature=3',
      '/cb?token=[redacted]&sig=[redacted]&Signature=[redacted]',
    ],
    ['a bearer credential', 'authorization: Bearer abc.DEF-123', 'authorization: Bearer [redacted]'],
    ['a Slack signature', 'x-slack-signature v0=' + 'a1'.repeat(32), 'x-slack-signature v0=[redacted]'],
    ['a Slack token', 'token xoxb-123-456-abcdefgh', 'token [redacted]'],
  ])('removes %s', (_what, line, want) => {
    expect(scrub(line)).toBe(want);
  });

  it('removes a signed link token anywhere, not only after ?t=', () => {
    const token = `${Buffer.from('{"v":1,"k":"decide"}').toString('base64url')}.${'A'.repeat(43)}`;
    expect(scrub(`no route GET /v1/links/${token}`)).toBe('no route GET /v1/links/[redacted]');
  });

  it('removes configured secret values, also as they appear escaped inside a JSON string', () => {
    const secret = 'pa"ss\\word-0123';
    const line = JSON.stringify({ msg: `failed with ${secret}` });
    expect(scrub(line, [secret])).toBe(JSON.stringify({ msg: 'failed with [redacted]' }));
  });
});

describe('secretValuesFromEnv', () => {
  it('takes variables named like secrets (lists split) and URL passwords, not ordinary settings', () => {
    const got = secretValuesFromEnv({
      NIGHTSHIFT_API_TOKENS: 'first-token-0001,second-token-0002',
      DEFENDER_CLIENT_SECRET: 'defender-client-secret',
      SMTP_URL: 'smtps://mailer:s3cr%40t-pass@smtp.example:465',
      TEAMS_SOC_WEBHOOK: 'https://example.webhook.office.com/webhookb2/abc',
      NIGHTSHIFT_HTTP_PORT: '8080',
      TEMPORAL_NAMESPACE: 'default',
      NIGHTSHIFT_WATCH: 'true',
    });
    expect(got).toEqual(
      expect.arrayContaining([
        'first-token-0001',
        'second-token-0002',
        'defender-client-secret',
        's3cr%40t-pass',
        's3cr@t-pass',
        'https://example.webhook.office.com/webhookb2/abc',
      ]),
    );
    expect(got).not.toContain('8080');
    expect(got).not.toContain('default');
    expect(got).not.toContain('true');
  });
});

it('scrubs every line the logger writes, child loggers included, and redacts secret fields', () => {
  const { lines, destination } = capture();
  const log = createLogger('trace', { destination, secrets: ['the-api-token-123'] });
  log.child({ component: 'x' }).info({ url: '/v1/links?t=tok.en' }, 'used the-api-token-123');
  log.info({ headers: { authorization: 'Bearer zzz' }, token: 'plain' }, 'fields');
  expect(lines.join('\n')).not.toMatch(/tok\.en|the-api-token-123|zzz|plain/);
  expect(lines).toHaveLength(2);
});

describe('logEffect', () => {
  it('writes one info line per effect with a stable message and the ids, bounded', () => {
    const { lines, destination } = capture();
    const log = createLogger('info', { destination });
    logEffect(log, {
      kind: 'defender.isolate',
      run: 'nightshift/contain/incident/4521',
      step: 'isolate',
      machineId: 'm1',
      actionId: 'a1',
      adopted: false,
      note: undefined,
      comment: 'x'.repeat(1000),
    });
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({
      level: 30,
      msg: 'effect defender.isolate',
      effect: 'defender.isolate',
      run: 'nightshift/contain/incident/4521',
      step: 'isolate',
      machineId: 'm1',
      actionId: 'a1',
      adopted: false,
    });
    expect(line).not.toHaveProperty('note');
    expect(line.comment).toHaveLength(301);
  });
});
