// The responder console in a real Chromium, against `nightshift start`-like wiring on the test run's
// Temporal server: sign in through a local OIDC provider, answer from the inbox and see the run go on
// (Defender isolates, Slack shows the decision), refusals, release, refused playbook files, CSRF and
// session checks, and a phone-sized screen.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium';
import { startConsoleStack, type ConsoleStack } from './stack';

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
  jest.setTimeout(120_000);

  it('signs in with OIDC, approves from the inbox, and the run isolates while Slack shows the decision', async () => {
    const { workflowId } = await stack.post({ id: 'a1' });
    const { ctx, page } = await signIn('ben@example.com');
    try {
      expect(new URL(page.url()).pathname).toBe('/console/inbox');
      await expect(page.textContent('.who .person')).resolves.toBe('Ben Oduya');
      const card = page.locator('article.waiting.mine', { hasText: 'Isolate WS-FIN-a1?' });
      await until(
        async () => {
          await page.reload();
          return card.count();
        },
        (n) => n === 1,
        'approval in the inbox',
      );
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
});
