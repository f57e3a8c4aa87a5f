// One real Temporal dev server per test run: free port, headless, in-memory, shared by every
// integration test file through NIGHTSHIFT_TEST_TEMPORAL_ADDRESS. Its log is kept when a test fails.
import path from 'node:path';
import type { Config } from 'jest';
import { freePort, PROJECT_ROOT, startDevServer, type DevServer } from '../../platform/temporal/dev-server';

declare global {
  var __NIGHTSHIFT_DEV_SERVER__: DevServer | undefined;
}

export default async function globalSetup(
  globalConfig: Config & { selectProjects?: string[] },
): Promise<void> {
  const selected = globalConfig.selectProjects;
  if (selected && !selected.includes('integration')) return;
  const logFile = path.join(
    PROJECT_ROOT,
    '.nightshift',
    'test-logs',
    `temporal-${new Date().toISOString().replace(/[:.]/g, '-')}.log`,
  );
  const server = await startDevServer({
    port: await freePort(),
    logFile,
    binary: process.env.NIGHTSHIFT_TEMPORAL_BIN || undefined,
  });
  globalThis.__NIGHTSHIFT_DEV_SERVER__ = server;
  process.env.NIGHTSHIFT_TEST_TEMPORAL_ADDRESS = server.address;
  process.env.NIGHTSHIFT_TEST_TEMPORAL_LOG = logFile;
}
