// Every channel's message carries a link to the run's story on the console (at the approval or page it
// is about), built from NIGHTSHIFT_PUBLIC_URL, against the protocol fakes.
import { createChannelActivities } from '../../../activities/channels';
import type { RunRef } from '../../../core/effects';
import type { PersonIR } from '../../../core/ir';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack';
import { startFakeSmtp, type FakeSmtp } from '../../fakes/smtp';
import { startFakeTeams, type FakeTeams } from '../../fakes/teams';
import { startFakeTwilio, type FakeTwilio } from '../../fakes/twilio';

const SID = 'AC' + '2'.repeat(32);
const run: RunRef = {
  workflowId: 'nightshift/contain/incident/4521',
  playbook: 'contain',
  playbookVersion: 3,
  stepId: 'ask',
  detectionId: 'd-1',
};
const STORY = 'https://soar.example/console/run?id=nightshift%2Fcontain%2Fincident%2F4521';
const ana: PersonIR = {
  id: 'ana',
  name: 'Ana',
  slack: 'U01ANA',
  phone: '+15555550101',
  email: 'ana@example.com',
};

let slack: FakeSlack;
let smtp: FakeSmtp;
let teams: FakeTeams;
let twilio: FakeTwilio;
let acts: ReturnType<typeof createChannelActivities>;

beforeAll(async () => {
  [slack, smtp, teams, twilio] = await Promise.all([
    startFakeSlack({ token: 'xoxb-t', channels: ['C1'] }),
    startFakeSmtp(),
    startFakeTeams(),
    startFakeTwilio({ accountSid: SID, authToken: 'tok' }),
  ]);
  acts = createChannelActivities(
    {
      publicUrl: 'https://soar.example/',
      linkSecret: 'console-links-secret-0123456789abcdef',
      slack: { botToken: 'xoxb-t', signingSecret: 's', apiUrl: slack.apiUrl, retries: 0 },
      email: { smtpUrl: smtp.url, from: 'nightshift@example.com' },
      twilio: {
        accountSid: SID,
        authToken: 'tok',
        from: '+15550000000',
        apiBase: twilio.url,
        webhookKey: 'tok',
      },
    },
    { env: { TEAMS_SOC: teams.webhook('soc') } },
  );
});
afterAll(async () => {
  await Promise.all([slack?.close(), smtp?.close(), teams?.close(), twilio?.close()]);
});

const ask = (key: string, to: Parameters<typeof acts.askApproval>[0]['to'], via?: 'sms') =>
  acts.askApproval({
    key,
    run,
    approvalId: `${run.workflowId}|ask|0`,
    code: '4821',
    to,
    question: 'Isolate WS-1?',
    approvers: [ana],
    expiresAt: '2026-11-22T03:30:00Z',
    ...(via ? { via } : {}),
  });

describe('console links in channel messages', () => {
  it('Slack: the approval, the page and a notification link to the story', async () => {
    await ask('a1', { type: 'channel', id: 'soc', channel: { kind: 'slack', channel: 'C1' } });
    await acts.page({
      key: 'p1',
      run,
      pageId: `${run.workflowId}|page|1`,
      code: '7757',
      person: ana,
      via: 'slack',
      message: 'Wake up',
    });
    await acts.notify({
      key: 'n1',
      run,
      to: { type: 'channel', id: 'soc', channel: { kind: 'slack', channel: 'C1' } },
      message: 'FYI',
    });
    const blocks = slack.messages.map((m) => JSON.stringify(m.blocks));
    expect(blocks[0]).toContain(`<${STORY}#i-ask-0|Open in the console>`);
    expect(blocks[1]).toContain(`<${STORY}#i-page-1|Open in the console>`);
    expect(blocks[2]).toContain(`<${STORY}|Open in the console>`);
  });

  it('email, Teams and SMS: the approval links to the story at the approval', async () => {
    await ask('a2', { type: 'person', person: ana }, undefined);
    await ask('a3', {
      type: 'channel',
      id: 'soc',
      channel: { kind: 'teams', webhook: { env: 'TEAMS_SOC' } },
    });
    await ask('a4', { type: 'person', person: ana }, 'sms');
    // ana's best channel is Slack; the email path is checked through a channel of addresses.
    await ask('a5', { type: 'channel', id: 'mail', channel: { kind: 'email', to: ['ana@example.com'] } });
    const mail = smtp.mails[smtp.mails.length - 1].parts();
    expect(mail.text).toContain(`Open in the console: ${STORY}#i-ask-0`);
    expect(mail.html).toContain(
      `<a href="${STORY.replace(/&/g, '&#38;')}#i-ask-0">Open in the Nightshift console</a>`,
    );
    const card = teams.cards[teams.cards.length - 1].card as {
      actions?: Array<{ type: string; url: string }>;
    };
    expect(card.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Open in the console', url: `${STORY}#i-ask-0` },
    ]);
    expect(twilio.messages[twilio.messages.length - 1].body).toBe(
      `Nightshift approval: Isolate WS-1? Reply YES 4821 to approve or NO 4821 to deny. ${STORY}#i-ask-0`,
    );
  });

  it('carries no link when the server has no public URL', async () => {
    const bare = createChannelActivities(
      { slack: { botToken: 'xoxb-t', signingSecret: 's', apiUrl: slack.apiUrl, retries: 0 } },
      { env: {} },
    );
    await bare.notify({
      key: 'n9',
      run,
      to: { type: 'channel', id: 'soc', channel: { kind: 'slack', channel: 'C1' } },
      message: 'FYI',
    });
    expect(JSON.stringify(slack.messages[slack.messages.length - 1].blocks)).not.toContain('console');
  });
});
