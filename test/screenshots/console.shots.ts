// Pictures of the console's main pages at desktop and phone size, light and dark, from a stack with a
// few runs in different states. Writes docs/screenshots/*.png (shown in the README).
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../browser/chromium';
import { startConsoleStack, type ConsoleStack } from '../browser/stack';

const OUT = path.join(__dirname, '..', '..', 'docs', 'screenshots');
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

let stack: ConsoleStack;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startConsoleStack({ oidc: true }), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function waitFor(fn: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

it('takes the screenshots', async () => {
  fs.mkdirSync(OUT, { recursive: true });
  // A run decided and isolated, a run released, and two waiting.
  const done = await stack.post({ id: '4521', title: 'Ransomware behaviour detected', severity: 'critical' });
  const released = await stack.post({ id: '4519', title: 'Credential dumping (LSASS access)' });
  await stack.post({ id: '4533', title: 'Suspicious PowerShell download cradle' });
  await stack.post({ id: '4534', title: 'Cobalt Strike beacon', severity: 'critical' });
  for (const r of [done, released]) {
    const h = stack.client.workflow.getHandle(r.workflowId);
    await waitFor(
      async () => (await h.query<{ pendingApprovals: unknown[] }>('state')).pendingApprovals.length === 1,
      'asked',
    );
    await h.executeUpdate('decide', {
      args: [
        { approvalId: `${r.workflowId}|approval|0`, personId: 'ben', outcome: 'approved', channel: 'slack' },
      ],
    });
    await waitFor(async () => (await h.describe()).status.name === 'COMPLETED', 'completed');
  }

  const shoot = async (
    file: string,
    url: string,
    opts: {
      phone?: boolean;
      dark?: boolean;
      full?: boolean;
      prepare?: (p: import('playwright-core').Page) => Promise<void>;
    } = {},
  ) => {
    const ctx = await browser.newContext({
      viewport: opts.phone ? PHONE : DESKTOP,
      deviceScaleFactor: opts.phone ? 2 : 1,
      isMobile: !!opts.phone,
      colorScheme: opts.dark ? 'dark' : 'light',
    });
    const page = await ctx.newPage();
    await page.goto(`${stack.base}/console`);
    await page.fill('input[name="login"]', 'ana@example.com');
    await page.fill('input[name="password"]', 'any');
    await page.click('button[type="submit"]');
    await page.waitForURL((u) => u.href.startsWith(`${stack.base}/console/`));
    await page.goto(`${stack.base}${url}`);
    if (opts.prepare) await opts.prepare(page);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(OUT, file), fullPage: opts.full ?? false });
    await ctx.close();
  };

  // Release one device, so the audit shows a release and the devices page one left.
  {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${stack.base}/console`);
    await page.fill('input[name="login"]', 'ben@example.com');
    await page.fill('input[name="password"]', 'any');
    await page.click('button[type="submit"]');
    await page.waitForURL((u) => u.href.startsWith(`${stack.base}/console/`));
    await page.goto(`${stack.base}/console/devices`);
    const card = page.locator('li.card.device', { hasText: 'WS-FIN-4519' });
    await card.locator('input[name="reason"]').fill('Reimaged; ticket SOC-4519');
    await card.getByRole('button', { name: 'Release' }).click();
    await page.locator('dialog[open]').getByRole('button', { name: 'Confirm' }).click();
    await ctx.close();
    await waitFor(
      async () => stack.defender.apiCalls((c) => c.path.endsWith('/dev-4519/unisolate')).length === 1,
      'released',
    );
  }

  const story = `/console/run?id=${encodeURIComponent(done.workflowId)}`;
  await shoot('inbox-desktop.png', '/console/inbox', { full: true });
  await shoot('inbox-phone.png', '/console/inbox', { phone: true });
  await shoot('inbox-dark.png', '/console/inbox', { dark: true });
  await shoot('story-desktop.png', story, { full: true });
  await shoot('story-phone.png', story, { phone: true });
  await shoot('runs-desktop.png', '/console/runs');
  await shoot('devices-desktop.png', '/console/devices');
  await shoot('oncall-desktop.png', '/console/oncall');
  await shoot('audit-desktop.png', '/console/audit');
  await shoot('playbooks-desktop.png', '/console/playbooks', {
    full: true,
    prepare: async (page) => {
      await page.selectOption('#s-past', done.workflowId);
      await page.fill('#s-at', '2026-11-22T03:01:07Z');
      await page.selectOption('#s-approval', 'none');
      await page.click('form.simulate button[type="submit"]');
      await page.locator('#result').waitFor();
    },
  });
});
