// Two projects: pure unit tests, and integration tests that share one real Temporal dev server
// started by test/support/global-setup.ts (see README "Tests").
const transform = {
  '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
};
// ESM-only dependencies that jest (CommonJS) must transform.
const transformIgnorePatterns = ['/node_modules/(?!(@marcbachmann/cel-js|openid-client|oauth4webapi|jose)/)'];

/** @type {import('jest').Config} */
module.exports = {
  transform,
  transformIgnorePatterns,
  // A global option (a project's own testTimeout is ignored): integration tests bundle workflows and
  // start workers, which takes more than jest's default 5 s on a busy machine.
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  reporters: ['default', '<rootDir>/test/support/server-log-reporter.js'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/compose/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
    {
      // The console in a real Chromium (Debian's package, driven by playwright-core) against the same
      // Temporal server: scripts/setup.sh --for-tests installs the browser.
      displayName: 'browser',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
    },
  ],
};
