// A real Chromium for the browser tests and the screenshots: Debian's `chromium` package driven by
// playwright-core over its executable path (no browser download: scripts/setup.sh --for-tests installs
// the package). Every launch gets a fresh profile and talks to nothing but this machine.
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.NIGHTSHIFT_CHROMIUM ?? '/usr/bin/chromium';

/** Flags that keep a headless Chromium quiet and local on a shared CI machine. */
export const CHROMIUM_ARGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: run scripts/setup.sh --for-tests (as root it installs Debian's chromium package), or set NIGHTSHIFT_CHROMIUM.`,
    );
  }
  // playwright gives each launch a fresh temporary --user-data-dir and removes it on close.
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    chromiumSandbox: false,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}
