// Pages render hostile detection text as text, and show what each role may do.
import type { Story, Viewer, WaitingItem } from '../../../console/model';
import { inboxPage } from '../../../console/pages/inbox';
import { storyPage, mitreLink } from '../../../console/pages/story';
import { html } from '../../../console/html';

const EVIL = `<img src=x onerror="alert(1)">"'&`;

const viewer = (role: Viewer['role']): Viewer => ({
  personId: 'ana',
  name: 'Ana',
  role,
  csrf: 'tok"en',
  via: 'link',
});

function waiting(mine: boolean): WaitingItem {
  return {
    kind: 'approval',
    id: 'run-1|approval|0',
    runId: 'run-1',
    playbook: 'contain',
    stepId: 'approval',
    text: `Isolate ${EVIL}?`,
    code: '4821',
    severity: 'high',
    detectionTitle: EVIL,
    devices: [{ id: 'dev-1', name: EVIL, tags: [EVIL], protected: true }],
    askedAt: '2026-01-01T00:00:00.000Z',
    deadline: '2026-01-01T00:10:00.000Z',
    onDeadline: 'approved automatically',
    asked: [{ who: EVIL, channel: 'slack', delivered: true, dryRun: true }],
    answerers: ['Ana'],
    mine,
  };
}

describe('console pages', () => {
  it('escapes every value from a detection', () => {
    const out = inboxPage({ viewer: viewer('responder'), items: [waiting(true)] }).value;
    expect(out).not.toContain('<img');
    expect(out).toContain('&#60;img src=x onerror=&#34;alert(1)&#34;&#62;&#34;&#39;&#38;');
    expect(out).toContain('value="tok&#34;en"'); // attribute values too
    expect(out).not.toContain(`onerror="`); // only ever as escaped text
  });

  it('says how many running runs did not answer, and an empty list is then only of those that did', () => {
    const out = inboxPage({ viewer: viewer('responder'), items: [], unanswered: 2 }).value;
    expect(out).toMatch(/No worker answered for 2 running runs: what\s+they wait\s+for is not shown here/);
    expect(out).toContain('Nothing waits for you among the runs that answered.');
    const all = inboxPage({ viewer: viewer('responder'), items: [] }).value;
    expect(all).not.toContain('No worker answered');
    expect(all).toContain('Nothing waits for you.');
  });

  it('offers Approve and Deny only to a responder who may answer', () => {
    const mine = inboxPage({ viewer: viewer('responder'), items: [waiting(true)] }).value;
    expect(mine).toContain('>Approve</button>');
    expect(mine).toContain('data-confirm=');
    const notMine = inboxPage({ viewer: viewer('responder'), items: [waiting(false)] }).value;
    expect(notMine).not.toContain('>Approve</button>');
    const viewerRole = inboxPage({ viewer: viewer('viewer'), items: [waiting(true)] }).value;
    expect(viewerRole).not.toContain('>Approve</button>');
    expect(viewerRole).toContain('needs responder');
  });

  it('shows an escalating approval’s stages: who each asked or will ask, how, and when', () => {
    const item: WaitingItem = {
      ...waiting(true),
      stages: [
        { stage: 0, at: '2026-01-01T00:00:00.000Z', status: 'asked', people: ['Ana'] },
        { stage: 1, at: '2026-01-01T00:05:00.000Z', status: 'skipped', people: [] },
        { stage: 2, at: '2026-01-01T00:08:00.000Z', status: 'pending', people: [EVIL], via: ['voice'] },
      ],
    };
    const out = inboxPage({ viewer: viewer('responder'), items: [item] }).value;
    expect(out).toContain('<dt>Escalation</dt>');
    // What a reader sees, tags dropped.
    const text = out.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(text).toMatch(/First ask asked \( ?2026-01-01 00:00:00 UTC ?\) — Ana/);
    expect(text).toMatch(
      /Stage 1 skipped \(its condition was false\) \( ?2026-01-01 00:05:00 UTC ?\) — nobody/,
    );
    expect(text).toMatch(/Stage 2 due 2026-01-01 00:08:00 UTC \( ?2026-01-01 00:08:00 UTC ?\) — &#60;img/);
    expect(out).toContain('data-t="countdown"');
    expect(out).toContain('via voice');
    expect(out).not.toContain('<img'); // a person's name is text too
    const plain = inboxPage({ viewer: viewer('responder'), items: [waiting(true)] }).value;
    expect(plain).not.toContain('Escalation');
  });

  it('links MITRE techniques only when they are technique ids', () => {
    expect(mitreLink('T1059.001').value).toContain('https://attack.mitre.org/techniques/T1059/001/');
    expect(mitreLink('javascript:alert(1)').value).not.toContain('href');
  });

  it('offers cancel to admins only', () => {
    const story: Story = {
      workflowId: 'run-1',
      playbook: 'contain',
      status: 'running',
      startedAt: '2026-01-01T00:00:00.000Z',
      closedAt: null,
      steps: [],
      timeline: [],
      waiting: [],
      answered: [],
      devices: [],
      users: [],
      detections: [],
      evidence: { files: [], processes: [], ips: [], urls: [] },
      mitre: [],
      defender: [],
    };
    expect(storyPage(viewer('admin'), story).value).toContain('Cancel run');
    expect(storyPage(viewer('responder'), story).value).not.toContain('Cancel run');
  });

  it('html joins arrays and drops empty values', () => {
    expect(html`<p>${['a', html`<b>b</b>`, null, false, undefined]}</p>`.value).toBe('<p>a<b>b</b></p>');
  });
});
