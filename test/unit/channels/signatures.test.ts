import { createHmac } from 'node:crypto';
import {
  parseForm,
  slackSignature,
  twilioSignature,
  verifySlackRequest,
  verifyTwilioRequest,
} from '../../../server/interactions/signatures';

// Official Slack vector (reference/channels.md §1.3).
const SLACK = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  ts: '1531420618',
  body: 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  sig: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};

describe('Slack v0 signature', () => {
  const base = {
    signingSecret: SLACK.secret,
    timestamp: SLACK.ts,
    signature: SLACK.sig,
    rawBody: SLACK.body,
    nowSec: 1531420618,
  };

  it('computes and accepts the official vector', () => {
    expect(slackSignature(SLACK.secret, SLACK.ts, SLACK.body)).toBe(SLACK.sig);
    expect(verifySlackRequest(base)).toEqual({ ok: true });
  });

  it('accepts up to 300 s of skew both ways and refuses 301 s', () => {
    expect(verifySlackRequest({ ...base, nowSec: 1531420618 + 300 }).ok).toBe(true);
    expect(verifySlackRequest({ ...base, nowSec: 1531420618 - 300 }).ok).toBe(true);
    expect(verifySlackRequest({ ...base, nowSec: 1531420618 + 301 })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/stale/),
    });
    expect(verifySlackRequest({ ...base, nowSec: 1531420618 - 301 })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/stale/),
    });
  });

  it('refuses forged, altered, wrong-secret, wrong-version and missing headers', () => {
    expect(verifySlackRequest({ ...base, rawBody: SLACK.body + 'x' }).ok).toBe(false);
    expect(verifySlackRequest({ ...base, signingSecret: 'another-secret' }).ok).toBe(false);
    expect(verifySlackRequest({ ...base, signature: SLACK.sig.replace('v0=', 'v1=') }).ok).toBe(false);
    expect(verifySlackRequest({ ...base, signature: 'v0=' + '0'.repeat(64) }).ok).toBe(false);
    expect(verifySlackRequest({ ...base, signature: 'v0=abc' }).ok).toBe(false);
    expect(verifySlackRequest({ ...base, timestamp: undefined }).ok).toBe(false);
    expect(verifySlackRequest({ ...base, signature: undefined }).ok).toBe(false);
    expect(verifySlackRequest({ ...base, timestamp: '1531420618; DROP' }).ok).toBe(false);
    expect(verifySlackRequest({ ...base, signingSecret: '' })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not configured/),
    });
    // A signature for another timestamp, replayed with a fresh timestamp header, fails.
    expect(verifySlackRequest({ ...base, timestamp: '1531420619', nowSec: 1531420619 }).ok).toBe(false);
  });
});

// Official Twilio vectors (twilio-node spec/validation.spec.js, reference/channels.md §2.3).
const TWILIO = {
  token: '12345',
  url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
  params: {
    CallSid: 'CA1234567890ABCDE',
    Caller: '+14158675309',
    Digits: '1234',
    From: '+14158675309',
    To: '+18005551212',
  },
  sig: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=',
};

describe('Twilio signature', () => {
  it('computes and accepts the official vector', () => {
    expect(twilioSignature(TWILIO.token, TWILIO.url, TWILIO.params)).toBe(TWILIO.sig);
    expect(verifyTwilioRequest(TWILIO.token, TWILIO.sig, TWILIO.url, TWILIO.params)).toBe(true);
  });

  it('accepts the vector on the URL with a port (Twilio signs either form)', () => {
    expect(
      verifyTwilioRequest(
        TWILIO.token,
        TWILIO.sig,
        'https://mycompany.com:1234/myapp.php?foo=1&bar=2',
        TWILIO.params,
      ),
    ).toBe(true);
  });

  it('accepts the vector when the public URL names the default port (:443) and Twilio signed without it, and the reverse', () => {
    const with443 = 'https://mycompany.com:443/myapp.php?foo=1&bar=2';
    expect(verifyTwilioRequest(TWILIO.token, TWILIO.sig, with443, TWILIO.params)).toBe(true);
    const signedWith443 = twilioSignature(TWILIO.token, with443, TWILIO.params);
    expect(verifyTwilioRequest(TWILIO.token, signedWith443, TWILIO.url, TWILIO.params)).toBe(true);
    expect(verifyTwilioRequest(TWILIO.token, signedWith443, with443, TWILIO.params)).toBe(true);
    expect(verifyTwilioRequest('other', TWILIO.sig, with443, TWILIO.params)).toBe(false);
  });

  it('matches the older docs vector and the body-hash vector', () => {
    const older = { ...TWILIO.params, Caller: '+12349013030', From: '+12349013030' };
    expect(twilioSignature(TWILIO.token, TWILIO.url, older)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
    const hash = '0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620';
    expect(twilioSignature(TWILIO.token, `${TWILIO.url}&bodySHA256=${hash}`, {})).toBe(
      'a9nBmqA0ju/hNViExpshrM61xv4=',
    );
  });

  it('refuses a changed param, added param, other URL, wrong token, missing signature', () => {
    expect(verifyTwilioRequest(TWILIO.token, TWILIO.sig, TWILIO.url, { ...TWILIO.params, Digits: '2' })).toBe(
      false,
    );
    expect(verifyTwilioRequest(TWILIO.token, TWILIO.sig, TWILIO.url, { ...TWILIO.params, Extra: 'x' })).toBe(
      false,
    );
    expect(
      verifyTwilioRequest(
        TWILIO.token,
        TWILIO.sig,
        'https://evil.example/myapp.php?foo=1&bar=2',
        TWILIO.params,
      ),
    ).toBe(false);
    expect(verifyTwilioRequest('54321', TWILIO.sig, TWILIO.url, TWILIO.params)).toBe(false);
    expect(verifyTwilioRequest(TWILIO.token, undefined, TWILIO.url, TWILIO.params)).toBe(false);
    expect(verifyTwilioRequest('', TWILIO.sig, TWILIO.url, TWILIO.params)).toBe(false);
  });

  it('signs repeated params as Twilio does (sorted, de-duplicated values)', () => {
    const params = parseForm('B=2&A=1&B=1&B=2');
    expect(params).toEqual({ A: '1', B: ['2', '1', '2'] });
    const want = createHmac('sha1', 'k').update('https://x.example/pA1B1B2').digest('base64');
    expect(twilioSignature('k', 'https://x.example/p', params)).toBe(want);
  });
});
