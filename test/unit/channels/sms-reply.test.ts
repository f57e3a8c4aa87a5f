import { parseSmsReply } from '../../../server/interactions/sms-reply';

describe('SMS reply parsing', () => {
  it.each([
    ['YES 4821', 'approved', '4821'],
    ['yes 4821', 'approved', '4821'],
    ['  Yes   4821  ', 'approved', '4821'],
    ['YES4821', 'approved', '4821'],
    ['yes 48 21', 'approved', '4821'],
    ['NO 4821', 'denied', '4821'],
    ['no 4821.', 'denied', '4821'],
    ['ACK 4821', 'ack', '4821'],
    ['ack 4821', 'ack', '4821'],
    ['approve 123456', 'approved', '123456'],
    ['deny: 4821', 'denied', '4821'],
  ])('%j → %s %s', (body, verb, code) => {
    expect(parseSmsReply(body)).toEqual({ verb, code });
  });

  it.each([
    'YES',
    'ok',
    'YES 12',
    'YES 123456789',
    'MAYBE 4821',
    'YES 4821 and more',
    'STOP',
    '',
    'YES abcd',
    'YES 4821'.padEnd(200, ' '),
  ])('refuses %j', (body) => {
    expect(parseSmsReply(body)).toBeNull();
  });
});
