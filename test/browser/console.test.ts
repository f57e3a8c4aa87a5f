// The responder console in a real Chromium, against `nightshift start`-like wiring on the test run's
// Temporal server: sign in through a local OIDC provider, answer from the inbox and see the run go on
// (Defender isolates, Slack shows the decision), refusals, release, refused playbook files, CSRF and
// session checks, and a phone-sized screen.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { signInLink } from '../../server/console/sign-in-link';
import { launchChromium } from './chromium';
import { OidcClient } from '../../integrations/oidc/client';
import {
  LINK_SECRET,
  OIDC_CERT_CLIENT,
  OIDC_CERT_REDIRECT,
  startConsoleStack,
  type ConsoleStack,
} from './stack';

let stack: ConsoleStack;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startConsoleStack({ oidc: true }), launchChromium()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function until<T>(
  fn: () => T | Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`${what}: not reached in ${ms} ms (last: ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** A fresh browser profile signed in as `email` through the OIDC provider's login form. */
async function signIn(
  email: string,
  viewport = { width: 1280, height: 900 },
): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  await page.goto(`${stack.base}/console`);
  // The console sent us to the provider; its login form takes any login.
  await page.waitForURL((u) => u.href.startsWith(stack.oidc!.issuer));
  await page.fill('input[name="login"]', email);
  await page.fill('input[name="password"]', 'any');
  await page.click('button[type="submit"]');
  await page.waitForURL((u) => u.href.startsWith(`${stack.base}/console/`), { timeout: 15_000 });
  return { ctx, page };
}

describe('console', () => {
  /** Reloads `page` until `item` is on it once (what a run asks shows after its workflow task). */
  async function shownAfterReload(page: Page, item: Locator, what: string): Promise<void> {
    await until(
      async () => {
        await page.reload();
        return item.count();
      },
      (n) => n === 1,
      what,
    );
  }

  /** A detection whose approval Ana gave by API, once its device's isolate POST reached Defender. */
  async function isolatedAfterApproval(id: string): Promise<string> {
    const { workflowId } = await stack.post({ id });
    await until(
      () => stack.client.workflow.getHandle(workflowId).query<{ pendingApprovals: unknown[] }>('state'),
      (s) => s.pendingApprovals.length === 1,
      'approval asked',
    );
    await stack.client.workflow.getHandle(workflowId).executeUpdate('decide', {
      args: [
        { approvalId: `${workflowId}|approval|0`, personId: 'ana', outcome: 'approved', channel: 'api' },
      ],
    });
    await until(
      () =>
        stack.defender.apiCalls((c) => c.method === 'POST' && c.path.endsWith(`/dev-${id}/isolate`)).length,
      (n) => n === 1,
      'isolated',
    );
    return workflowId;
  }

  jest.setTimeout(120_000);

  it('signs in with OIDC, approves from the inbox, and the run isolates while Slack shows the decision', async () => {
    const { workflowId } = await stack.post({ id: 'a1' });
    const { ctx, page } = await signIn('ben@example.com');
    try {
      expect(new URL(page.url()).pathname).toBe('/console/inbox');
      await expect(page.textContent('.who .person')).resolves.toBe('Ben Oduya');
      const card = page.locator('article.waiting.mine', { hasText: 'Isolate WS-FIN-a1?' });
      await shownAfterReload(page, card, 'approval in the inbox');
      await expect(card.locator('.then').textContent()).resolves.toContain('approved automatically');
      await expect(card.textContent()).resolves.toContain('soc-slack');
      await card.getByRole('button', { name: 'Approve' }).click();
      // One click asks for confirmation first.
      const dialog = page.locator('dialog[open]');
      await expect(dialog.textContent()).resolves.toContain('Approve: Isolate WS-FIN-a1?');
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await page.waitForURL(`${stack.base}/console/inbox`);
      await expect(page.textContent('.flash')).resolves.toContain('Recorded: approved');

      await until(
        () =>
          stack.defender.apiCalls((c) => c.method === 'POST' && c.path.endsWith('/dev-a1/isolate')).length,
        (n) => n === 1,
        'isolate POST',
      );
      const msg = await until(
        () => stack.slack.messages.find((m) => JSON.stringify(m.blocks).includes('Isolate WS-FIN-a1?')),
        (m) => !!m && m.updates > 0,
        'Slack message updated',
      );
      expect(JSON.stringify(msg!.blocks)).toMatch(/Ben Oduya/);
      expect(JSON.stringify(msg!.blocks)).toMatch(/console/);

      await page.goto(`${stack.base}/console/run?id=${encodeURIComponent(workflowId)}`);
      await until(
        async () => {
          await page.reload();
          return page.textContent('.summary');
        },
        (t) => /completed/.test(t ?? ''),
        'run completed',
      );
      const timeline = await page.textContent('.timeline');
      expect(timeline).toMatch(/Approved: Isolate WS-FIN-a1\? — Ben Oduya via console/);
      expect(timeline).toMatch(/Defender isolate on dev-a1: Succeeded/);
    } finally {
      await ctx.close();
    }
  });

  it('shows a waiting approval to a responder who may not decide it without buttons, and the run refuses a forged answer', async () => {
    const { workflowId } = await stack.post({ id: 'r1' });
    const { ctx, page } = await signIn('cho@example.com');
    try {
      const card = page.locator('article.waiting', { hasText: 'Isolate WS-FIN-r1?' });
      await shownAfterReload(page, card, 'approval listed');
      await expect(card.getAttribute('class')).resolves.not.toContain('mine');
      await expect(card.getByRole('button', { name: 'Approve' }).count()).resolves.toBe(0);
      await expect(card.textContent()).resolves.toContain('You are not among the people who may answer');
      // A hand-made POST with Cho's own valid token: the run's validator decides, and refuses.
      const csrf = await page.getAttribute('meta[name="csrf-token"]', 'content');
      const res = await page.request.post(`${stack.base}/console/decide`, {
        form: { _csrf: csrf!, id: `${workflowId}|approval|0`, outcome: 'approved', confirmed: '1' },
      });
      expect(res.url()).toBe(`${stack.base}/console/inbox`);
      expect(await res.text()).toMatch(/Not recorded: cho may not decide this approval/);
      const run = await stack.client.workflow.getHandle(workflowId).describe();
      expect(run.status.name).toBe('RUNNING');
    } finally {
      await ctx.close();
    }
  });

  it("opens Slack's link signed out, signs in, and answers on the run's story", async () => {
    const { workflowId } = await stack.post({ id: 's1' });
    const msg = await until(
      () => stack.slack.messages.find((m) => JSON.stringify(m.blocks).includes('Isolate WS-FIN-s1?')),
      (m) => !!m,
      'approval posted to Slack',
    );
    // Slack's mrkdwn link: <url|Open in the console>, at the approval's anchor on the story.
    const link = /<(http[^|>]+)\|Open in the console>/.exec(JSON.stringify(msg!.blocks))?.[1];
    expect(link).toBe(`${stack.base}/console/run?id=${encodeURIComponent(workflowId)}#i-approval-0`);
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const page = await ctx.newPage();
      await page.goto(link!);
      await page.waitForURL((u) => u.href.startsWith(stack.oidc!.issuer));
      await page.fill('input[name="login"]', 'ana@example.com');
      await page.fill('input[name="password"]', 'any');
      await page.click('button[type="submit"]');
      // Back where the link pointed, not at the inbox.
      await page.waitForURL((u) => u.pathname === '/console/run', { timeout: 15_000 });
      expect(new URL(page.url()).searchParams.get('id')).toBe(workflowId);
      const card = page.locator('article.waiting', { hasText: 'Isolate WS-FIN-s1?' });
      await card.getByRole('button', { name: 'Deny' }).click();
      await page.locator('dialog[open]').getByRole('button', { name: 'Confirm' }).click();
      await expect(page.locator('.flash').textContent()).resolves.toContain('Recorded: denied');
      expect(new URL(page.url()).pathname).toBe('/console/run');
      await until(
        async () => (await stack.client.workflow.getHandle(workflowId).describe()).status.name,
        (st) => st === 'COMPLETED',
        'run ended after the denial',
      );
      expect(stack.defender.apiCalls((c) => c.path.endsWith('/dev-s1/isolate'))).toHaveLength(0);
    } finally {
      await ctx.close();
    }
  });

  it('acknowledges a page from the inbox, which ends the paging and shows in the audit', async () => {
    const { workflowId } = await stack.post({ id: 'k1', severity: 'medium' });
    const { ctx, page } = await signIn('ana@example.com');
    try {
      const card = page.locator('article.waiting.mine', { hasText: 'Look at WS-FIN-k1' });
      await shownAfterReload(page, card, 'page in the inbox');
      await expect(card.locator('.kind').textContent()).resolves.toBe('Page');
      await expect(card.locator('.deadline').textContent()).resolves.toMatch(/Escalates\s+in \d+:\d\d/);
      await card.getByRole('button', { name: 'Acknowledge' }).click();
      const dialog = page.locator('dialog[open]');
      await expect(dialog.textContent()).resolves.toContain('Acknowledge this page about WS-FIN-k1?');
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await expect(page.locator('.flash').textContent()).resolves.toContain('Recorded');
      await until(
        async () => (await stack.client.workflow.getHandle(workflowId).describe()).status.name,
        (st) => st === 'COMPLETED',
        'run ended after the acknowledgement',
      );
      await expect(card.count()).resolves.toBe(0);
      const json = (await (await page.request.get(`${stack.base}/console/audit.json?kind=ack`)).json()) as {
        entries: Array<{ kind: string; personId: string; channel: string; runId: string }>;
      };
      // The audit covers every run of the namespace (other test files' runs too): this run's acks.
      expect(json.entries.filter((e) => e.runId === workflowId)).toEqual([
        expect.objectContaining({ kind: 'ack', personId: 'ana', channel: 'console', runId: workflowId }),
      ]);
    } finally {
      await ctx.close();
    }
  });

  it('answers a run whose ids hold an invisible character (shown as �, posted back exactly)', async () => {
    const { workflowId } = await stack.post({ id: 'z\u200b1' });
    expect(workflowId).toContain('\u200b');
    const { ctx, page } = await signIn('ben@example.com');
    try {
      const card = page.locator('article.waiting.mine', { hasText: 'Isolate WS-FIN-z\ufffd1?' });
      await shownAfterReload(page, card, 'approval in the inbox');
      await card.getByRole('button', { name: 'Approve' }).click();
      await page.locator('dialog[open]').getByRole('button', { name: 'Confirm' }).click();
      await page.waitForURL(`${stack.base}/console/inbox`);
      await expect(page.textContent('.flash')).resolves.toContain('Recorded: approved');
      const st = await stack.client.workflow
        .getHandle(workflowId)
        .query<{ pendingApprovals: unknown[] }>('state');
      expect(st.pendingApprovals).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('says in the inbox when no worker answered for a running run, instead of "nothing waits"', async () => {
    // A run on a queue no worker polls: its state cannot be read.
    const orphan = await stack.client.workflow.start('playbookRun', {
      taskQueue: `console-no-worker-${Date.now()}`,
      workflowId: `console-no-worker-${Date.now()}`,
      args: [{}],
    });
    const { ctx, page } = await signIn('ana@example.com');
    try {
      await page.goto(`${stack.base}/console/inbox`);
      await expect(page.locator('p.flash.bad').textContent()).resolves.toMatch(
        /No worker answered for 1 running run: what\s+it waits\s+for is not shown here/,
      );
    } finally {
      await orphan.terminate('test done');
      await ctx.close();
    }
  });

  it('updates the inbox live when a detection arrives', async () => {
    const { ctx, page } = await signIn('ana@example.com');
    try {
      await page.waitForLoadState('networkidle').catch(() => undefined);
      await stack.post({ id: 'l1' });
      // No reload: the page hears of the change over server-sent events and fetches itself again.
      await page
        .locator('article.waiting.mine', { hasText: 'Isolate WS-FIN-l1?' })
        .waitFor({ timeout: 20_000 });
    } finally {
      await ctx.close();
    }
  });

  it('releases an isolated device through Defender, once, with a reason that shows in the audit', async () => {
    const workflowId = await isolatedAfterApproval('d1');
    const { ctx, page } = await signIn('ben@example.com');
    try {
      const card = page.locator('li.card.device', { hasText: 'WS-FIN-d1' });
      await until(
        async () => {
          await page.goto(`${stack.base}/console/devices`);
          return card.count();
        },
        (n) => n === 1,
        'device listed',
      );
      await expect(card.textContent()).resolves.toContain('isolated');
      await card.locator('input[name="reason"]').fill('reimaged, ticket 4521');
      await card.getByRole('button', { name: 'Release' }).click();
      await page.locator('dialog[open]').getByRole('button', { name: 'Confirm' }).click();
      await page.waitForURL(`${stack.base}/console/devices`);
      await expect(page.textContent('.flash')).resolves.toContain('Release of dev-d1 asked');
      await until(
        () =>
          stack.defender.apiCalls((c) => c.method === 'POST' && c.path.endsWith('/dev-d1/unisolate')).length,
        (n) => n === 1,
        'unisolate POST',
      );
      const unisolate = stack.defender.apiCalls((c) => c.path.endsWith('/dev-d1/unisolate'))[0];
      expect(JSON.stringify(unisolate.body)).toContain(
        'Ben Oduya via Nightshift console: reimaged, ticket 4521',
      );
      await until(
        async () => {
          await page.goto(`${stack.base}/console/devices`);
          return card.count();
        },
        (n) => n === 0,
        'device gone from the list',
      );
      // Asking again finds nothing to release: one Defender action in all.
      const csrf = await page.getAttribute('meta[name="csrf-token"]', 'content');
      const again = await page.request.post(`${stack.base}/console/release`, {
        form: { _csrf: csrf!, device: 'dev-d1', action: 'isolate', reason: 'again', confirmed: '1' },
      });
      expect(await again.text()).toContain('dev-d1 is not isolated by Nightshift');
      // A reason too short to mean anything is refused before anything is looked up.
      const terse = await page.request.post(`${stack.base}/console/release`, {
        form: { _csrf: csrf!, device: 'dev-d1', action: 'isolate', reason: ' x ', confirmed: '1' },
      });
      expect(terse.status()).toBe(400);
      expect(await terse.text()).toContain(
        'Give the device, what to undo and a reason (3 characters or more).',
      );
      expect(stack.defender.apiCalls((c) => c.path.endsWith('/dev-d1/unisolate'))).toHaveLength(1);

      await page.goto(`${stack.base}/console/audit?kind=release`);
      const row = page.locator('table.audit tbody tr', { hasText: 'dev-d1' });
      await expect(row.textContent()).resolves.toMatch(
        /release.*succeeded.*Ben Oduya.*console.*reimaged, ticket 4521/s,
      );
      // The device links to the story of the run that isolated it.
      const story = await row.getByRole('link', { name: 'dev-d1' }).getAttribute('href');
      expect(story).toBe(`/console/run?id=${encodeURIComponent(workflowId)}`);
      expect((await page.request.get(`${stack.base}${story}`)).status()).toBe(200);
      const csv = await (await page.request.get(`${stack.base}/console/audit.csv?kind=release`)).text();
      expect(csv).toMatch(
        /,release,ben,Ben Oduya,succeeded,console,nightshift-release\/release\/dev-d1\/[^,]+,dev-d1,"reimaged, ticket 4521"\r\n/,
      );
      const json = (await (await page.request.get(`${stack.base}/console/audit.json`)).json()) as {
        entries: Array<{ kind: string; personId: string; channel: string }>;
      };
      expect(json.entries).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ kind: 'release', personId: 'ben' }),
          expect.objectContaining({ kind: 'decision', personId: 'ana', channel: 'api' }),
        ]),
      );
    } finally {
      await ctx.close();
    }
  });

  it('asks Defender again for a release it failed, and refuses a second one while the first runs', async () => {
    await isolatedAfterApproval('d7');
    const unisolates = () =>
      stack.defender.apiCalls((c) => c.method === 'POST' && c.path.endsWith('/dev-d7/unisolate'));
    // Defender takes a while with the first release, then fails it.
    stack.defender.script('dev-d7', 'Unisolate', { pendingMs: 3000, inProgressMs: 0, final: 'Failed' });
    const { ctx, page } = await signIn('ben@example.com');
    try {
      await until(
        async () => {
          await page.goto(`${stack.base}/console/devices`);
          return page.locator('li.card.device', { hasText: 'WS-FIN-d7' }).count();
        },
        (n) => n === 1,
        'device listed',
      );
      const csrf = await page.getAttribute('meta[name="csrf-token"]', 'content');
      const release = async () =>
        (
          await page.request.post(`${stack.base}/console/release`, {
            form: { _csrf: csrf!, device: 'dev-d7', action: 'isolate', reason: 'reimaged', confirmed: '1' },
          })
        ).text();
      await expect(release()).resolves.toContain('Release of dev-d7 asked');
      await until(
        () => unisolates().length,
        (n) => n === 1,
        'first unisolate POST',
      );
      await expect(release()).resolves.toContain('A release of dev-d7 is already in progress.');
      // Failed: still isolated, and asking again reaches Defender again.
      stack.defender.script('dev-d7', 'Unisolate', { pendingMs: 50, inProgressMs: 50, final: 'Succeeded' });
      await until(release, (text) => text.includes('Release of dev-d7 asked'), 'second release asked');
      await until(
        () => unisolates().length,
        (n) => n === 2,
        'second unisolate POST',
      );
      await until(
        async () => {
          await page.goto(`${stack.base}/console/devices`);
          return page.locator('li.card.device', { hasText: 'WS-FIN-d7' }).count();
        },
        (n) => n === 0,
        'device released',
      );
    } finally {
      await ctx.close();
    }
  });

  it('shows the diagnostics of a refused playbook file while the previous playbooks keep serving, and simulates', async () => {
    fs.writeFileSync(
      path.join(stack.playbooksDir, 'broken.yaml'),
      'playbook: broken\nversion: 1\non:\n  detection:\n    when: detection.severity == 3\nsteps: []\n',
    );
    try {
      expect(stack.reload().ok).toBe(false);
      const { ctx, page } = await signIn('ana@example.com');
      try {
        await page.goto(`${stack.base}/console/playbooks`);
        await expect(page.textContent('table.playbooks')).resolves.toContain('contain');
        const refused = await page.textContent('.card.refused');
        expect(refused).toMatch(/broken\.yaml:5:\d+: error: /);

        await page.selectOption('#s-playbook', 'contain');
        await page.fill(
          '#s-detection',
          JSON.stringify({
            id: 'sim-1',
            title: 'Sim',
            severity: 'high',
            status: 'confirmed',
            devices: [{ id: 'dev-s', name: 'WS-SIM' }],
          }),
        );
        await page.fill('#s-at', '2026-11-22T03:01:07Z');
        await page.click('form.simulate button[type="submit"]');
        const result = await page.textContent('#result');
        expect(result).toMatch(/completed/);
        expect(result).toMatch(/defender\.isolate/);
        expect(result).toMatch(/nothing was sent/);
      } finally {
        await ctx.close();
      }
    } finally {
      fs.rmSync(path.join(stack.playbooksDir, 'broken.yaml'));
      stack.reload();
    }
  });

  it('refuses state changes without the session token or from another site, and ends sessions', async () => {
    const { ctx, page } = await signIn('ana@example.com');
    try {
      const noToken = await page.request.post(`${stack.base}/console/decide`, {
        form: { id: 'x|approval|0', outcome: 'approved', confirmed: '1' },
      });
      expect(noToken.status()).toBe(403);
      expect(await noToken.text()).toContain('did not come from this console');
      const csrf = await page.getAttribute('meta[name="csrf-token"]', 'content');
      const crossSite = await page.request.post(`${stack.base}/console/decide`, {
        form: { _csrf: csrf!, id: 'x|approval|0', outcome: 'approved', confirmed: '1' },
        headers: { origin: 'https://evil.example' },
      });
      expect(crossSite.status()).toBe(403);

      // A session cookie changed by hand is not a session.
      const [cookie] = (await ctx.cookies()).filter((c) => c.name === 'nightshift_session');
      const other = await browser.newContext();
      await other.addCookies([
        { ...cookie, value: cookie.value.replace(/^./, (c) => (c === 'e' ? 'f' : 'e')) },
      ]);
      const tampered = await other.request.get(`${stack.base}/console/inbox`, { maxRedirects: 0 });
      expect(tampered.status()).toBe(303);
      expect(tampered.headers().location).toMatch(/^\/console\/auth\/login/);

      // Signing out ends the session, also for a copy of its cookie — and the live stream of another
      // tab of the same session, whose page then says that its updates stopped.
      const tab = await ctx.newPage();
      await tab.goto(`${stack.base}/console/inbox`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await expect(tab.locator('[data-live-stopped]').textContent({ timeout: 20_000 })).resolves.toMatch(
        /Live updates stopped/,
      );
      await expect(page.textContent('h1')).resolves.toBe('Signed out');
      expect((await ctx.cookies()).filter((c) => c.name === 'nightshift_session')).toEqual([]);
      await other.clearCookies();
      await other.addCookies([cookie]);
      const copied = await other.request.get(`${stack.base}/console/inbox`, { maxRedirects: 0 });
      expect(copied.status()).toBe(303);
      await other.close();
    } finally {
      await ctx.close();
    }
  });

  it('refuses accounts that are not people of nightshift.yaml, and emails the provider did not verify', async () => {
    for (const [email, why] of [
      ['zed@example.com', /no person of nightshift\.yaml has the login or email of this account/],
      ['unverified@example.com', /no person of nightshift\.yaml/],
    ] as const) {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      await page.goto(`${stack.base}/console`);
      await page.fill('input[name="login"]', email);
      await page.fill('input[name="password"]', 'any');
      await page.click('button[type="submit"]');
      await page.waitForURL((u) => u.href.startsWith(`${stack.base}/console/`));
      await expect(page.textContent('main')).resolves.toMatch(why);
      await ctx.close();
    }
  });

  it('signs in once with a one-time link when no OIDC is configured, and returns to the page first asked for', async () => {
    const link = signInLink(stack.linkBase, LINK_SECRET, { nowSec: Math.floor(Date.now() / 1000) });
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    try {
      const open = await ctx.request.get(`${stack.linkBase}/console/inbox`, { maxRedirects: 0 });
      expect(open.status()).toBe(401); // never an open console
      // A link from a message, opened signed out: after the one-time link, back where it pointed.
      await page.goto(`${stack.linkBase}/console/runs?status=running`);
      await expect(page.textContent('main')).resolves.toContain('you then come back to this page');
      await page.goto(link);
      await page.getByRole('button', { name: /Ben Oduya/ }).click();
      await page.waitForURL(`${stack.linkBase}/console/runs?status=running`);
      await expect(page.textContent('.who .person')).resolves.toBe('Ben Oduya');
      const other = await browser.newContext();
      const again = await other.newPage();
      await again.goto(link);
      await expect(again.textContent('main')).resolves.toContain('already been used');
      await other.close();
    } finally {
      await ctx.close();
    }
  });

  it('fits a phone: no sideways scrolling, and the decision buttons are on screen', async () => {
    await stack.post({ id: 'p1' });
    const { ctx, page } = await signIn('ana@example.com', { width: 390, height: 844 });
    try {
      const card = page.locator('article.waiting.mine', { hasText: 'Isolate WS-FIN-p1?' });
      await shownAfterReload(page, card, 'approval listed');
      for (const path of ['inbox', 'runs', 'devices', 'playbooks', 'oncall', 'audit']) {
        await page.goto(`${stack.base}/console/${path}`);
        const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
        expect({ path, overflow }).toEqual({ path, overflow: 0 });
      }
      await page.goto(`${stack.base}/console/inbox`);
      const approve = card.getByRole('button', { name: 'Approve' });
      await approve.scrollIntoViewIfNeeded();
      const box = await approve.boundingBox();
      expect(box!.width).toBeGreaterThanOrEqual(44);
      expect(box!.height).toBeGreaterThanOrEqual(44);
      expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    } finally {
      await ctx.close();
    }
  });

  it('lets a viewer read but not answer, and an admin cancel a run with a reason that shows in the audit', async () => {
    const { workflowId } = await stack.post({ id: 'c1' });
    const story = `${stack.base}/console/run?id=${encodeURIComponent(workflowId)}`;
    const viewer = await signIn('vic@example.com');
    try {
      const card = viewer.page.locator('article.waiting', { hasText: 'Isolate WS-FIN-c1?' });
      await until(
        async () => {
          await viewer.page.reload();
          return card.count();
        },
        (n) => n === 1,
        'listed for the viewer',
      );
      await expect(card.getByRole('button', { name: 'Approve' }).count()).resolves.toBe(0);
      const csrf = await viewer.page.getAttribute('meta[name="csrf-token"]', 'content');
      const res = await viewer.page.request.post(`${stack.base}/console/decide`, {
        form: { _csrf: csrf!, id: `${workflowId}|approval|0`, outcome: 'approved', confirmed: '1' },
      });
      expect(res.status()).toBe(403);
      expect(await res.text()).toContain('Your role (viewer) may not do this');
      await viewer.page.goto(story);
      await expect(viewer.page.getByRole('button', { name: 'Cancel run' }).count()).resolves.toBe(0);
    } finally {
      await viewer.ctx.close();
    }
    const admin = await signIn('ana@example.com');
    try {
      await admin.page.goto(story);
      await admin.page.fill('#cancel-reason', 'false positive: pentest of ticket 88');
      await admin.page.getByRole('button', { name: 'Cancel run' }).click();
      await admin.page.locator('dialog[open]').getByRole('button', { name: 'Confirm' }).click();
      await admin.page.waitForURL(story);
      await expect(admin.page.textContent('.flash.ok')).resolves.toContain('Cancel asked');
      await until(
        async () => (await stack.client.workflow.getHandle(workflowId).describe()).status.name,
        (s) => s !== 'RUNNING',
        'run stopped',
      );
      // The open page learns of the cancel by itself, and keeps the answer to the click on screen.
      await until(
        () => admin.page.textContent('main'),
        (t) => /Cancelled by Ana Ruiz .*false positive: pentest of ticket 88/s.test(t ?? ''),
        'cancel shown live',
      );
      await expect(admin.page.textContent('.flash.ok')).resolves.toContain('Cancel asked');
      await admin.page.reload();
      await expect(admin.page.textContent('main')).resolves.toMatch(
        /Cancelled by Ana Ruiz .*false positive: pentest of ticket 88/s,
      );
      expect(stack.defender.apiCalls((c) => c.path.endsWith('/dev-c1/isolate'))).toHaveLength(0);
      await admin.page.goto(`${stack.base}/console/audit?kind=cancel`);
      await expect(admin.page.textContent('table.audit')).resolves.toMatch(
        /cancel.*cancelled.*Ana Ruiz.*console.*false positive: pentest of ticket 88/s,
      );
    } finally {
      await admin.ctx.close();
    }
  });

  it('signs in with a client certificate (private_key_jwt), as an Entra ID app with a certificate does', async () => {
    const client = new OidcClient({
      issuer: stack.oidc!.issuer,
      clientId: OIDC_CERT_CLIENT,
      clientCertificate: stack.oidcCert,
      redirectUri: OIDC_CERT_REDIRECT,
      scopes: 'openid email profile',
    });
    const { url, tx } = await client.begin();
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    try {
      // Nothing listens at the redirect URI: the browser's request to it is the provider's answer.
      const back = page.waitForRequest((r) => r.url().startsWith(OIDC_CERT_REDIRECT));
      await page.route(`${OIDC_CERT_REDIRECT}**`, (r) => r.abort());
      await page.goto(url);
      await page.fill('input[name="login"]', 'ana@example.com');
      await page.fill('input[name="password"]', 'any');
      await page.click('button[type="submit"]');
      const claims = await client.finish(new URL((await back).url()), tx);
      expect(claims).toMatchObject({ email: 'ana@example.com', email_verified: true });
      // A changed code verifier (PKCE) or state is refused.
      await expect(client.finish(new URL((await back).url()), { ...tx, state: 'other' })).rejects.toThrow();
    } finally {
      await ctx.close();
    }
  });
});
