import fs from 'node:fs';

declare global {
  var __NIGHTSHIFT_TESTS_FAILED__: boolean | undefined;
}

export default async function globalTeardown(): Promise<void> {
  const server = globalThis.__NIGHTSHIFT_DEV_SERVER__;
  if (!server) return;
  await server.stop();
  if (globalThis.__NIGHTSHIFT_TESTS_FAILED__) {
    console.error(`\nTemporal dev server log kept for the failed run: ${server.logFile}`);
  } else if (server.logFile) {
    fs.rmSync(server.logFile, { force: true });
  }
}
