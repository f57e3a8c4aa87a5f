// The per-format escapers of integrations/escape.ts, and TwiML that stays within Twilio's limit whatever
// the detection says.
import {
  htmlAttrExact,
  htmlText,
  oneLine,
  plainText,
  slackText,
  teamsText,
} from '../../../integrations/escape';
import { MAX_TWIML } from '../../../integrations/twilio/adapter';
import { gatherTwiml, sayTwiml } from '../../../integrations/twilio/twiml';
import { markdownLinks } from '../../fakes/teams';
import { slackSequences } from '../../fakes/slack';

describe('escapers', () => {
  it('plain text: hidden and reordering characters become visible, CRLF becomes LF', () => {
    expect(plainText('invoice\u202efdp.exe')).toBe('invoice\ufffdfdp.exe');
    expect(plainText('a\u0000b\u0007c\u200bd\ufeffe')).toBe('a\ufffdb\ufffdc\ufffdd\ufffde');
    expect(plainText('one\r\ntwo\rthree\tfour')).toBe('one\ntwo\nthree\tfour');
    expect(oneLine('Alert\r\nBcc: x@example.com')).toBe('Alert Bcc: x@example.com');
  });

  it('Slack: no control sequence survives', () => {
    const t = slackText('<!channel> <https://evil.example|click> <@U01ANA> a & b');
    expect(t).toBe('&lt;!channel&gt; &lt;https://evil.example|click&gt; &lt;@U01ANA&gt; a &amp; b');
    expect(slackSequences(t)).toEqual([]);
  });

  it('Teams Markdown: no link, no emphasis, no list', () => {
    for (const s of [
      '[md](https://evil.example)',
      '<https://evil.example>',
      '![img](https://evil.example/x.png)',
      'x]( [a](b) \\[c](d)',
    ])
      expect(markdownLinks(teamsText(s))).toEqual([]);
    expect(teamsText('**bold** _it_ `code` a&b')).toBe('\\*\\*bold\\*\\* \\_it\\_ \\`code\\` a\\&b');
    expect(teamsText('- one\n+ two\n3. three\n4) four\nweb-01.corp')).toBe(
      '\\- one\n\\+ two\n3\\. three\n4\\) four\nweb-01.corp',
    );
  });

  it('HTML: markup becomes text', () => {
    expect(htmlText(`<img src=x onerror="a('b')">&`)).toBe(
      '&#60;img src=x onerror=&#34;a(&#39;b&#39;)&#34;&#62;&#38;',
    );
  });

  it('keeps a form value exact: hidden characters and line breaks as references, specials escaped', () => {
    expect(htmlAttrExact(`inc\u200b1|"x'<y>&\r\n\u202e`)).toBe(
      'inc&#8203;1|&#34;x&#39;&#60;y&#62;&#38;&#13;&#10;&#8238;',
    );
    expect(htmlAttrExact('plain-id_1')).toBe('plain-id_1');
  });
});

describe('TwiML', () => {
  it('fits Twilio’s inline limit even when escaping multiplies the text', () => {
    const action = 'https://soar.example/v1/twilio/voice?t=' + 'x'.repeat(600);
    const say = `Isolate ${'&<>"'.repeat(500)}`;
    const g = gatherTwiml({ say, action, prompt: 'Press 1 to approve. Press 2 to deny.' });
    expect(g.length).toBeLessThanOrEqual(MAX_TWIML);
    expect(g).toContain('Isolate &amp;&lt;&gt;');
    expect(g).toMatch(
      /…<\/Say><Pause length="1"\/><Say>Press 1 to approve\. Press 2 to deny\.<\/Say><\/Gather>/,
    );
    expect(sayTwiml('&'.repeat(1500)).length).toBeLessThanOrEqual(MAX_TWIML);
  });

  it('says one line and keeps no character XML cannot carry', () => {
    const t = sayTwiml('line one\nline\u0001two \u202e');
    expect(t).toContain('<Say>line one line\ufffdtwo \ufffd</Say>');
  });
});
